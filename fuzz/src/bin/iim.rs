//! IPTC-IIM: parsing datasets, reading text, and setting or removing
//! Special Instructions (2:40). A block whose 2:40 was set must read back
//! with that text.

use ccsig::internals::mapping::iim;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = iim::parse(data);
        let _ = iim::charset(data);
        let _ = iim::read_text(data);
        let _ = iim::remove_special_instructions(data);
        let text = "train-ai=n;exceptions=cc-cr";
        if let Ok(new) = iim::set_special_instructions(data, text) {
            let read = iim::read_text(&new).expect("a block ccsig wrote reads");
            assert_eq!(read.special_instructions.as_deref(), Some(text));
        }
    });
}
