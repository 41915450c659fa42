//! The core stays pure: its dependencies are pinned to a reviewed list, none of which reads a
//! clock or the OS's entropy. (Clippy's `disallowed-methods` in core/clippy.toml forbids clock
//! reads and hash-ordered maps in the core's own code.)

#[test]
fn core_dependencies_are_the_reviewed_pure_set() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    let mut names: Vec<&str> = deps
        .lines()
        .filter_map(|l| l.split('=').next().map(str::trim))
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["rand_chacha", "rand_core", "serde", "sfv"]);
    for rng in ["rand_chacha", "rand_core"] {
        let line = deps
            .lines()
            .find(|l| l.trim_start().starts_with(rng))
            .unwrap();
        assert!(
            line.contains("default-features = false"),
            "{rng} must not pull in OS entropy: {line}"
        );
    }
    assert!(!deps.contains("getrandom") && !deps.contains("os_rng") && !deps.contains("std_rng"));
}
