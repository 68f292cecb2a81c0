//! The same inputs give byte-identical JSON reports whatever the thread
//! count, chunk size or order the files are named in.

mod common;

use common::faultline;

/// Every fixture story at once: many files, interleaved timestamps, ties.
fn fixture_files() -> Vec<String> {
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("fixtures")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("fixtures readable")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_none_or(|e| e != "md") {
                files.push(path.display().to_string());
            }
        }
    }
    files.sort();
    files
}

fn report(files: &[String], extra: &[&str]) -> Vec<u8> {
    let output = faultline()
        .args(["scan", "--format", "json"])
        .args(extra)
        .args(files)
        .output()
        .expect("run faultline");
    assert!(!output.stdout.is_empty(), "{:?}", output);
    output.stdout
}

#[test]
fn thread_count_chunk_size_and_file_order_never_change_the_report() {
    let files = fixture_files();
    assert!(files.len() > 20, "the fixtures give a real mix");
    let baseline = report(&files, &["-j", "1"]);
    let mut reversed = files.clone();
    reversed.reverse();
    let mut rotated = files.clone();
    rotated.rotate_left(files.len() / 3);
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("2 threads", report(&files, &["-j", "2"])),
        ("4 threads", report(&files, &["-j", "4"])),
        (
            "1 KiB chunks",
            report(&files, &["-j", "4", "--chunk-size", "1024"]),
        ),
        ("reversed files", report(&reversed, &["-j", "2"])),
        (
            "rotated files",
            report(&rotated, &["-j", "3", "--chunk-size", "4096"]),
        ),
        (
            "a file named twice",
            report(&[files.clone(), files[..3].to_vec()].concat(), &[]),
        ),
    ];
    for (name, variant) in variants {
        assert!(
            variant == baseline,
            "{name} changed the report:\n{}",
            first_difference(&baseline, &variant)
        );
    }
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    let a = String::from_utf8_lossy(a);
    let b = String::from_utf8_lossy(b);
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map_or_else(
            || format!("lengths {} vs {}", a.len(), b.len()),
            |(i, (x, y))| format!("line {}: {x}\n  vs: {y}", i + 1),
        )
}
