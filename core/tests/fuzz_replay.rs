//! Replays the fuzz corpus and every crash regression on stable: each file of
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` runs through the very function the
//! libFuzzer target runs (`fuzz/src/harness.rs`, compiled in here), so `cargo test` checks
//! what `make fuzz` found without nightly. See FUZZING.md.

#[allow(dead_code, clippy::all)]
#[path = "../../fuzz/src/harness.rs"]
mod harness;

use std::path::PathBuf;

/// A target's name and the function it runs.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 5] = [
    ("headers", harness::headers),
    ("limiter", harness::limiter),
    ("plan", harness::plan),
    ("backoff", harness::backoff),
    ("pacer", harness::pacer),
];

fn files(dir: &str, target: &str) -> Vec<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(dir)
        .join(target);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&d)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    // Hidden files (`.gitkeep`) are not inputs.
    v.retain(|p| {
        p.is_file()
            && !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
    });
    v.sort();
    v
}

#[test]
fn corpus_and_regressions_replay_clean() {
    let mut total = 0;
    for (target, run) in TARGETS {
        let corpus = files("corpus", target);
        // A target without any seed is a setup mistake, not a pass.
        assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ has no seeds");
        for path in corpus.iter().chain(files("regressions", target).iter()) {
            let data = std::fs::read(path).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target}: {} fails", path.display());
            total += 1;
        }
    }
    eprintln!("replayed {total} fuzz inputs");
}
