//! A look at a manifest store before the `c2pa` crate reads it: the crate's
//! CBOR decoder allocates (and zeroes) whatever length a CBOR item claims,
//! so a 23 KB file whose assertion claims a 4 GiB text string made it take
//! 4.2 GB of memory and 5 s (found by the `c2pa_read` fuzz target;
//! `docs/reliability.md`). Here the store's JUMBF boxes are walked and the
//! CBOR item of each `cbor` box is skipped with `minicbor`, which borrows
//! from the input instead of allocating: an item that runs past the end of
//! its box is a bomb, and the store is not handed to the crate.
//!
//! Only that is judged here. A store whose boxes do not walk is left to the
//! crate, which reports it in its own words: this check must never turn a
//! store the crate reads into one it does not.

/// JUMBF superboxes nest; a store deeper than this is left to the crate.
const MAX_DEPTH: usize = 32;

/// Why the manifest store must not be read: a CBOR item that claims more
/// bytes than its box holds (`None`: nothing of the kind found).
///
/// ```
/// use ccsig::internals::mapping::c2pa::cbor_bomb;
/// // A superbox holding a description box and a CBOR box whose text string
/// // claims 4 GiB.
/// let cbor = [0x7a, 0xff, 0xff, 0xff, 0xf0, b'x'];
/// let mut content = (8 + cbor.len() as u32).to_be_bytes().to_vec();
/// content.extend_from_slice(b"cbor");
/// content.extend_from_slice(&cbor);
/// let mut store = (8 + content.len() as u32).to_be_bytes().to_vec();
/// store.extend_from_slice(b"jumb");
/// store.extend_from_slice(&content);
/// assert!(cbor_bomb(&store).unwrap().contains("claims more than the box holds"));
/// assert_eq!(cbor_bomb(b"not a store"), None);
/// ```
pub fn cbor_bomb(store: &[u8]) -> Option<String> {
    walk(store, 0)
}

fn walk(boxes: &[u8], depth: usize) -> Option<String> {
    let mut at = 0usize;
    while boxes.len().saturating_sub(at) >= 8 {
        let head = &boxes[at..];
        let lbox = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as u64;
        let tbox = &head[4..8];
        let (header, size) = match lbox {
            0 => (8, head.len() as u64),
            1 if head.len() >= 16 => {
                let mut xl = [0u8; 8];
                xl.copy_from_slice(&head[8..16]);
                (16, u64::from_be_bytes(xl))
            }
            1 => return None,
            n => (8, n),
        };
        if size < header || size > head.len() as u64 {
            return None; // not a walkable store: the crate says why
        }
        let payload = &head[header as usize..size as usize];
        match tbox {
            b"jumb" if depth < MAX_DEPTH => {
                if let Some(bomb) = walk(payload, depth + 1) {
                    return Some(bomb);
                }
            }
            b"cbor" => {
                if let Some(bomb) = overlong(payload) {
                    return Some(bomb);
                }
            }
            _ => {}
        }
        at += size as usize;
    }
    None
}

/// The CBOR item at the start of `payload`, if it runs past its end.
fn overlong(payload: &[u8]) -> Option<String> {
    let mut decoder = minicbor::Decoder::new(payload);
    match decoder.skip() {
        Err(e) if e.is_end_of_input() => Some(format!(
            "a CBOR item in a {}-byte box claims more than the box holds",
            payload.len()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = (8 + payload.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    fn store_with(cbor: &[u8]) -> Vec<u8> {
        let mut content = boxed(b"jumd", b"description");
        content.extend(boxed(b"cbor", cbor));
        boxed(b"jumb", &boxed(b"jumb", &content))
    }

    #[test]
    fn well_formed_items_pass_however_deep() {
        // {"use": "notAllowed"}
        let mut map = vec![0xa1, 0x63];
        map.extend_from_slice(b"use");
        map.push(0x6a);
        map.extend_from_slice(b"notAllowed");
        assert_eq!(cbor_bomb(&store_with(&map)), None);
        // Arrays nested 100,000 deep: skipped without recursion.
        let mut deep = vec![0x81; 100_000];
        deep.push(0x00);
        assert_eq!(cbor_bomb(&store_with(&deep)), None);
    }

    #[test]
    fn an_item_claiming_more_than_its_box_is_a_bomb() {
        for bomb in [
            vec![0x7a, 0xff, 0xff, 0xff, 0xf0, b'x'],
            vec![0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            vec![0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00],
            vec![0xa1, 0x63, b'u', b's', b'e', 0x7a, 0x10, 0x00, 0x00, 0x00],
        ] {
            assert!(cbor_bomb(&store_with(&bomb)).is_some(), "{bomb:x?}");
        }
    }

    #[test]
    fn a_store_that_does_not_walk_is_left_to_the_crate() {
        let mut store = store_with(&[0x7a, 0xff, 0xff, 0xff, 0xf0]);
        store[3] = 0xff; // the outer box claims more than there is
        assert_eq!(cbor_bomb(&store), None);
        assert_eq!(cbor_bomb(&[]), None);
        assert_eq!(cbor_bomb(&[0, 0, 0, 1, b'j', b'u', b'm', b'b']), None);
    }
}
