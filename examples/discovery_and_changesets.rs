//! What the discovery benchmark (`scripts/bench-discovery.sh`) times besides the CLI commands:
//! workspace discovery + reading and validating every change file + the `relay list --json`
//! serialisation, in one process, with no git. Usage: `discovery_and_changesets <repo root>`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(root) = std::env::args_os().nth(1) else {
        eprintln!("usage: discovery_and_changesets <repo root>");
        return ExitCode::from(2);
    };
    let root = std::path::PathBuf::from(root);
    let ws = match relay::workspace::discover(&root) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let files = match relay::changeset::read_all(&root)
        .and_then(|files| relay::changeset::validate_against(&files, &ws).map(|()| files))
    {
        Ok(files) => files,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let list: Vec<_> = ws.all().collect();
    match serde_json::to_string_pretty(&list) {
        Ok(json) => println!("{json}\n{} change files", files.len()),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
