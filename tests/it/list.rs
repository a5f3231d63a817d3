use crate::harness::*;

#[test]
fn lists_the_sample_monorepo() {
    let (_tmp, dir) = fixture("sample");
    let out = run(relay(&dir).args(["list", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["sample-root", "sample-cli", "@sample/core", "@sample/ui"]
    );
    assert_eq!(rows[3]["dependencies"][0]["name"], "@sample/core");
}
