//! What the fuzz targets share: the invariants an input must keep, checked
//! with `assert!` so that AFL++ records any breach as a crash.

use std::io::Cursor;

use ccsig::internals::container::{self, BlockKind, Layout};

/// Checks what every walker promises about a layout it returns: blocks in
/// file order, each inside the file, together covering it end to end.
pub fn assert_layout_covers(layout: &Layout, len: usize) {
    assert_eq!(layout.len, len as u64, "layout length");
    let mut at = 0u64;
    for block in &layout.blocks {
        assert_eq!(block.range.start, at, "blocks leave a gap or overlap");
        assert!(block.range.end >= block.range.start, "reversed block");
        at = block.range.end;
    }
    assert_eq!(at, layout.len, "blocks do not reach the end of the file");
}

/// The bytes of every image-data block, in order: what a metadata write
/// must leave exactly as it was.
pub fn image_data(bytes: &[u8]) -> Vec<u8> {
    let layout = container::scan(&mut Cursor::new(bytes)).expect("scan");
    layout
        .blocks_of(BlockKind::ImageData)
        .flat_map(|b| {
            bytes[b.range.start as usize..b.range.end as usize]
                .iter()
                .copied()
        })
        .collect()
}
