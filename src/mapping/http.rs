//! Preferences that come with an image over HTTP: the response's
//! `Content-Usage` field (draft-ietf-aipref-attach), which holds the same
//! dictionary as a file's metadata, and `X-Robots-Tag`, whose AI
//! directives opt the image out.
//!
//! `X-Robots-Tag` has no AIPREF meaning of its own; ccsig reads its
//! directives as the downloaders that honour them do (img2dataset by
//! default skips an image whose response says any of `noai`, `noimageai`,
//! `noindex`, `noimageindex`): `noai` and `noimageai` say
//! `train-ai=n`, `noindex`, `noimageindex` and `none` say `search=n`. A
//! directive may be addressed to one user agent (`googlebot: noindex`); it
//! then counts only for that agent.

/// One statement an HTTP response makes about the image it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderStatement {
    /// The field as people know it: `HTTP Content-Usage`, `HTTP
    /// X-Robots-Tag noai`.
    pub field: String,
    /// The field's value as it came.
    pub stored: String,
    /// The expression it stands for (`Content-Usage`'s own value; for an
    /// X-Robots-Tag directive, the expression it is read as).
    pub expression: String,
}

/// The `X-Robots-Tag` directives ccsig reads, and what each says.
const ROBOTS_DIRECTIVES: &[(&str, &str)] = &[
    ("noai", "train-ai=n"),
    ("noimageai", "train-ai=n"),
    ("noindex", "search=n"),
    ("noimageindex", "search=n"),
    ("none", "search=n"),
];

/// The statements of a response's header fields (name, value), in the
/// order given; names are matched without regard to case, and every
/// occurrence of a field counts. `user_agent` decides which addressed
/// `X-Robots-Tag` directives count (none, without one).
///
/// ```
/// use ccsig::internals::mapping::http::statements;
/// let headers = [
///     ("content-usage".to_string(), "train-ai=n;exceptions=cc-cr".to_string()),
///     ("X-Robots-Tag".to_string(), "noindex, noai".to_string()),
///     ("X-Robots-Tag".to_string(), "otherbot: noimageai".to_string()),
/// ];
/// let found: Vec<(String, String)> = statements(&headers, Some("img2dataset"))
///     .into_iter()
///     .map(|s| (s.field, s.expression))
///     .collect();
/// assert_eq!(found, [
///     ("HTTP Content-Usage".to_string(), "train-ai=n;exceptions=cc-cr".to_string()),
///     ("HTTP X-Robots-Tag noindex".to_string(), "search=n".to_string()),
///     ("HTTP X-Robots-Tag noai".to_string(), "train-ai=n".to_string()),
/// ]);
/// ```
pub fn statements(headers: &[(String, String)], user_agent: Option<&str>) -> Vec<HeaderStatement> {
    let mut out = Vec::new();
    for (name, value) in headers {
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-usage") {
            out.push(HeaderStatement {
                field: "HTTP Content-Usage".into(),
                stored: value.clone(),
                expression: value.trim().to_string(),
            });
        } else if name.eq_ignore_ascii_case("x-robots-tag") {
            out.extend(robots_tag(value, user_agent));
        }
    }
    out
}

/// The directives of one `X-Robots-Tag` value that apply to `user_agent`.
fn robots_tag(value: &str, user_agent: Option<&str>) -> Vec<HeaderStatement> {
    // `bot: a, b` addresses the directives to `bot`; a directive with a
    // value of its own (`max-snippet: 20`, `unavailable_after: ...`) has a
    // colon too, but its name is a directive, not an agent.
    let (agent, directives) = match value.split_once(':') {
        Some((agent, rest))
            if !agent.contains(',')
                && !is_directive_with_value(agent.trim())
                && !agent.trim().is_empty() =>
        {
            (Some(agent.trim()), rest)
        }
        _ => (None, value),
    };
    if let Some(agent) = agent {
        let ours = user_agent.map(product_token);
        if !ours.is_some_and(|ours| ours.eq_ignore_ascii_case(agent)) {
            return Vec::new();
        }
    }
    directives
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .filter_map(|d| {
            let (_, expression) = ROBOTS_DIRECTIVES.iter().find(|(name, _)| *name == d)?;
            Some(HeaderStatement {
                field: format!("HTTP X-Robots-Tag {d}"),
                stored: value.to_string(),
                expression: expression.to_string(),
            })
        })
        .collect()
}

fn is_directive_with_value(name: &str) -> bool {
    [
        "max-snippet",
        "max-image-preview",
        "max-video-preview",
        "unavailable_after",
    ]
    .iter()
    .any(|d| d.eq_ignore_ascii_case(name))
}

/// A user agent's product token: `img2dataset` of `img2dataset/1.41
/// (+https://...)` (RFC 9309 matches groups by it).
///
/// ```
/// use ccsig::internals::mapping::http::product_token;
/// assert_eq!(product_token("img2dataset/1.41 (+https://x)"), "img2dataset");
/// assert_eq!(product_token("  ccsig "), "ccsig");
/// ```
pub fn product_token(user_agent: &str) -> &str {
    let ua = user_agent.trim();
    let end = ua.find(['/', ' ', ';', '(']).unwrap_or(ua.len());
    &ua[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn addressed_directives_count_only_for_their_agent() {
        let h = headers(&[("X-Robots-Tag", "img2dataset: noai, noindex")]);
        assert_eq!(statements(&h, Some("img2dataset/1.0")).len(), 2);
        assert!(statements(&h, Some("otherbot")).is_empty());
        assert!(statements(&h, None).is_empty());
        // A directive's own value is not an agent.
        let h = headers(&[("X-Robots-Tag", "max-snippet: 20, noai")]);
        assert_eq!(statements(&h, None)[0].expression, "train-ai=n");
    }

    #[test]
    fn unknown_and_malformed_values_are_kept_or_passed_over() {
        // Content-Usage is kept as it came: its parse reports what is wrong.
        let h = headers(&[
            ("Content-Usage", "train-ai=maybe"),
            ("X-Robots-Tag", "noarchive, , nofollow"),
            ("X-Robots-Tag", ""),
            ("X-Robots-Tag", ":::"),
        ]);
        let s = statements(&h, Some("ccsig"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].expression, "train-ai=maybe");
    }
}
