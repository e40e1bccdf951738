//! A site's robots.txt, for its `Content-Usage` rules
//! (draft-ietf-aipref-attach): `Content-Usage: [path] preferences` lines in
//! the `User-agent` groups of RFC 9309. For a user agent and a URL path,
//! the rules of the groups that name the agent (else of the `*` groups)
//! whose path matches apply; of those, the longest path wins (a rule
//! without a path matches every path, as the shortest). Rules of equal
//! length all apply; the decision takes the most restrictive.

/// One `Content-Usage` rule that applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotsRule {
    /// The rule's line in the file, from 1.
    pub line: usize,
    /// Its path pattern, when it has one.
    pub path: Option<String>,
    /// The preferences it states (an AIPREF dictionary).
    pub value: String,
}

/// A group of RFC 9309: the agents it names and its `Content-Usage`
/// rules.
#[derive(Debug, Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<RobotsRule>,
    /// Whether a rule line (of any kind) followed the agents: a
    /// `User-agent` line after one starts a new group.
    closed: bool,
}

/// The `Content-Usage` rules of `robots` that apply to `user_agent` (its
/// product token is matched, without regard to case) fetching `path`
/// (the URL's path and query, e.g. `/photos/a.jpg`).
///
/// ```
/// use ccsig::internals::mapping::robots::content_usage;
/// let robots = "User-agent: *\n\
///               Content-Usage: train-ai=n\n\
///               Content-Usage: /open/ train-ai=y\n\
///               \n\
///               User-agent: img2dataset\n\
///               Disallow: /private/\n\
///               Content-Usage: /photos/ train-ai=n;exceptions=cc-cr\n";
/// let rule = |ua, path| -> Vec<(usize, String)> {
///     content_usage(robots, ua, path).into_iter().map(|r| (r.line, r.value)).collect()
/// };
/// assert_eq!(rule("ccsig", "/open/a.jpg"), [(3, "train-ai=y".to_string())]);
/// assert_eq!(rule("ccsig", "/b.jpg"), [(2, "train-ai=n".to_string())]);
/// // img2dataset has a group of its own: the * group's rules are not its.
/// assert_eq!(rule("img2dataset/1.4", "/photos/c.jpg"), [(7, "train-ai=n;exceptions=cc-cr".to_string())]);
/// assert!(rule("img2dataset", "/b.jpg").is_empty());
/// ```
pub fn content_usage(robots: &str, user_agent: &str, path: &str) -> Vec<RobotsRule> {
    let groups = groups(robots);
    let token = super::http::product_token(user_agent);
    let named: Vec<&Group> = groups
        .iter()
        .filter(|g| g.agents.iter().any(|a| a.eq_ignore_ascii_case(token)))
        .collect();
    let chosen = match named.is_empty() {
        false => named,
        true => groups
            .iter()
            .filter(|g| g.agents.iter().any(|a| a == "*"))
            .collect(),
    };
    let matching: Vec<&RobotsRule> = chosen
        .iter()
        .flat_map(|g| &g.rules)
        .filter(|r| r.path.as_deref().is_none_or(|p| path_matches(p, path)))
        .collect();
    let longest = matching
        .iter()
        .map(|r| r.path.as_ref().map_or(0, String::len))
        .max();
    matching
        .into_iter()
        .filter(|r| Some(r.path.as_ref().map_or(0, String::len)) == longest)
        .cloned()
        .collect()
}

/// The groups of a robots.txt (RFC 9309 §2.1): consecutive `User-agent`
/// lines open one, the rules after them belong to it. Lines without a
/// colon and unknown keys are passed over, as crawlers do.
fn groups(robots: &str) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, line) in robots.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key.eq_ignore_ascii_case("user-agent") {
            match groups.last_mut() {
                Some(g) if !g.closed => g.agents.push(value.to_string()),
                _ => groups.push(Group {
                    agents: vec![value.to_string()],
                    ..Group::default()
                }),
            }
            continue;
        }
        let Some(group) = groups.last_mut() else {
            continue;
        };
        group.closed = true;
        if key.eq_ignore_ascii_case("content-usage") {
            let (path, value) = match value.strip_prefix('/') {
                Some(_) => match value.split_once(char::is_whitespace) {
                    Some((path, rest)) => (Some(path.to_string()), rest.trim()),
                    None => (Some(value.to_string()), ""),
                },
                None => (None, value),
            };
            group.rules.push(RobotsRule {
                line: i + 1,
                path,
                value: value.to_string(),
            });
        }
    }
    groups
}

/// Whether `path` matches a robots.txt path pattern (RFC 9309 §2.2.3: a
/// prefix, `*` for any run of characters, `$` at the end for the path's
/// end).
fn path_matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let segments: Vec<&str> = pattern.split('*').collect();
    let Some(mut rest) = path.strip_prefix(segments[0]) else {
        return false;
    };
    let Some((last, middle)) = segments[1..].split_last() else {
        return !anchored || rest.is_empty();
    };
    for segment in middle {
        match rest.find(segment) {
            Some(at) => rest = &rest[at + segment.len()..],
            None => return false,
        }
    }
    match anchored {
        true => rest.ends_with(last),
        false => rest.contains(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_rfc_9309_says() {
        assert!(path_matches("/photos/", "/photos/a.jpg"));
        assert!(!path_matches("/photos/", "/photo.jpg"));
        assert!(path_matches("/*.jpg$", "/a/b.jpg"));
        assert!(!path_matches("/*.jpg$", "/a/b.jpg?x=1"));
        assert!(path_matches("/*/raw/", "/2024/raw/x.nef"));
        assert!(path_matches("/a.jpg$", "/a.jpg"));
        assert!(!path_matches("/a.jpg$", "/a.jpgx"));
    }

    #[test]
    fn groups_follow_rfc_9309() {
        let robots = "# comment\n\
                      Content-Usage: train-ai=n\n\
                      User-agent: A\n\
                      User-agent: b\n\
                      Content-Usage: train-ai=y # a comment\n\
                      User-agent: c\n\
                      Content-Usage: /x train-ai=n\n\
                      nonsense line\n\
                      User-agent: a\n\
                      Content-Usage: search=n\n";
        // A rule before any group belongs to none; A and b share a group;
        // a second group naming a is merged with the first.
        let lines: Vec<usize> = content_usage(robots, "a", "/")
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, [5, 10]);
        assert_eq!(content_usage(robots, "B", "/")[0].line, 5);
        assert!(content_usage(robots, "c", "/").is_empty());
        assert_eq!(content_usage(robots, "c", "/x/y")[0].line, 7);
        // Nobody else: no * group, nothing applies.
        assert!(content_usage(robots, "d", "/").is_empty());
        // Hostile input: no panic.
        for text in [
            "User-agent",
            ":",
            "Content-Usage: /",
            "User-agent: *\nContent-Usage: /*$",
        ] {
            let _ = content_usage(text, "x", "/a");
        }
    }
}
