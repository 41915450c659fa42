//! The core stays pure: the whole tree of crates a build of the core compiles (normal
//! dependencies, transitively, with the features cargo resolves for it — `cargo tree -e normal`)
//! is a reviewed list, none of which reads a clock or the OS's entropy. (Clippy's
//! `disallowed-methods` in core/clippy.toml forbids clock reads and hash-ordered maps in the
//! core's own code.)
use std::collections::BTreeMap;

/// Every crate in the tree, reviewed: no clock, no I/O, no OS entropy. The proc-macro crates
/// (and proc-macro2, quote, syn, unicode-ident under them) run in the compiler only.
const REVIEWED: [&str; 8] = [
    "pacekeeper",
    "proc-macro2",
    "quote",
    "serde",
    "serde_core",
    "serde_derive",
    "syn",
    "unicode-ident",
];

/// `crate name → features` of the core's normal dependency tree.
fn tree() -> BTreeMap<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args([
            "tree", "-e", "normal", "--prefix", "none", "--format", "{p}|{f}",
        ])
        .args(["-p", "pacekeeper", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let mut crates = BTreeMap::new();
    for line in text.unwrap_or_default().lines() {
        let (package, features) = line.split_once('|').unwrap_or((line, ""));
        let name = package.split(' ').next().unwrap_or("").to_owned();
        crates.insert(name, features.trim_end_matches(" (*)").to_owned());
    }
    crates
}

#[test]
fn the_whole_normal_dependency_tree_is_the_reviewed_pure_set() {
    let crates = tree();
    let names: Vec<&str> = crates.keys().map(String::as_str).collect();
    assert_eq!(
        names, REVIEWED,
        "the core's dependency tree changed: review it"
    );
    assert!(!crates.contains_key("getrandom") && !crates.contains_key("libc"));
}
