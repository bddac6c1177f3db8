//! Replays every checked-in fuzz input (`fuzz/regressions/<target>/*`) through its target's
//! body on stable, so an input that once found a bug keeps being checked by `cargo test`.
//! Minimised corpora from the long runs (`SECURITY.md`) live there too.

use std::path::Path;

#[test]
fn every_regression_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../regressions");
    let mut total = 0;
    for target in ssb_fuzz_harness::TARGETS {
        let dir = root.join(target.name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target keeps a corpus)", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: no inputs", dir.display());
        for file in files {
            let data = std::fs::read(&file).expect("readable input");
            let name = file.display().to_string();
            let result = std::panic::catch_unwind(|| (target.run)(&data));
            assert!(result.is_ok(), "{name} fails its target again");
            total += 1;
        }
    }
    assert!(total >= ssb_fuzz_harness::TARGETS.len());
}

#[test]
fn every_target_has_a_fuzz_binary_and_a_corpus() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for target in ssb_fuzz_harness::TARGETS {
        let bin = fuzz
            .join("fuzz_targets")
            .join(format!("{}.rs", target.name));
        let src =
            std::fs::read_to_string(&bin).unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
        assert!(
            src.contains(&format!("ssb_fuzz_harness::{}(", target.name)),
            "{} does not call its harness body",
            bin.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{}\"", target.name)),
            "{} is not a [[bin]] in fuzz/Cargo.toml",
            target.name
        );
    }
}
