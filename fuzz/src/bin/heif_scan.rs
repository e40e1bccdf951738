//! The HEIF/AVIF reader alone (top-level boxes, `meta`'s item tables):
//! any input either fails with a typed error or yields a layout whose
//! blocks cover the file end to end.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(layout) = ccsig::internals::container::bmff::scan(&mut std::io::Cursor::new(data))
        {
            ccsig_fuzz::assert_layout_covers(&layout, data.len());
        }
    });
}
