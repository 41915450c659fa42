//! `token_key` gives the shared vectors' keys (tests/vectors/token_keys.json, computed by an
//! independent reference), as every binding must.
use serde_json::Value;

#[test]
fn token_keys_match_the_shared_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/token_keys.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let token = case["token"].as_str().unwrap();
        assert_eq!(
            pacekeeper::token_key(token),
            case["expect"].as_str().unwrap(),
            "{}",
            case["name"]
        );
    }
}
