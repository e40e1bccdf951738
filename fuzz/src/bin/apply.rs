//! The whole apply path on bytes. For an input that reads, `apply_bytes`
//! either fails cleanly or returns bytes that read again, carry the signal
//! and hold the input's image data unchanged.

use ccsig::signal::Decision;
use ccsig::tagging::WriteOptions;
use ccsig::{ApplyRequest, SignalCode};

fn main() {
    let request = ApplyRequest::from_signal(SignalCode::Cr, "train-ai").unwrap();
    let opts = WriteOptions::default();
    afl::fuzz!(|data: &[u8]| {
        if ccsig::read_bytes(data).is_err() {
            return;
        }
        let Ok((Some(written), _)) = ccsig::apply_bytes(data, &request, &opts) else {
            return;
        };
        let signals = ccsig::read_bytes(&written).expect("the written file reads");
        let xmp = signals.xmp.as_ref().expect("the written file has XMP");
        assert_eq!(
            xmp.expression.as_deref(),
            Some("train-ai=n;exceptions=cc-cr")
        );
        assert_eq!(
            signals.decisions.get("train-ai"),
            Some(&Decision::AllowedIf(vec![SignalCode::Cr])),
            "the signal reads back"
        );
        assert!(
            ccsig_fuzz::image_data(data) == ccsig_fuzz::image_data(&written),
            "image data changed"
        );
    });
}
