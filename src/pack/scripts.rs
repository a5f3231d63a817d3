//! Lifecycle scripts around pack, run as `@npmcli/run-script` runs them: `sh -c <script>` in
//! the package directory, `node_modules/.bin` of every ancestor first on `PATH`, and the
//! `npm_lifecycle_*` / `npm_package_*` variables, `npm_command` and `INIT_CWD`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::PackError;

/// `package-envs.js`: name, version, config, engines, bin flattened into `npm_package_*`.
fn package_envs(m: &Value) -> Vec<(String, String)> {
    fn walk(prefix: &str, key: &str, v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Null | Value::Bool(false) => out.push((format!("{prefix}{key}"), String::new())),
            Value::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    walk(prefix, &format!("{key}_{i}"), item, out);
                }
            }
            Value::Object(o) => {
                for (k, item) in o {
                    walk(&format!("{prefix}{key}_"), k, item, out);
                }
            }
            Value::String(s) => out.push((format!("{prefix}{key}"), s.clone())),
            other => out.push((format!("{prefix}{key}"), other.to_string())),
        }
    }
    let mut out = Vec::new();
    for key in ["name", "version", "config", "engines", "bin"] {
        if let Some(v) = m.get(key) {
            walk("npm_package_", key, v, &mut out);
        }
    }
    out
}

/// Runs `scripts[event]` of the package in `dir` if it exists. Output is captured; on success
/// it is echoed to stderr (stdout stays clean for `--json`), on failure it goes into the error.
pub fn run(
    dir: &Path,
    command: &str,
    event: &str,
    extra_env: &[(&str, String)],
) -> Result<bool, PackError> {
    let manifest_path = dir.join("package.json");
    let text = std::fs::read(&manifest_path).map_err(|e| PackError::io(&manifest_path, e))?;
    let m: Value = serde_json::from_slice(&text).map_err(|e| PackError::Json {
        path: manifest_path.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Some(script) = m
        .get("scripts")
        .and_then(|s| s.get(event))
        .and_then(Value::as_str)
    else {
        return Ok(false);
    };
    let name = m.get("name").and_then(Value::as_str).unwrap_or("");
    let version = m.get("version").and_then(Value::as_str).unwrap_or("");
    eprintln!("\n> {name}@{version} {event}\n> {script}\n");

    let mut path_entries: Vec<std::path::PathBuf> = dir
        .ancestors()
        .map(|d| d.join("node_modules").join(".bin"))
        .collect();
    if let Some(p) = std::env::var_os("PATH") {
        path_entries.extend(std::env::split_paths(&p));
    }
    let path = std::env::join_paths(path_entries).unwrap_or_default();

    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("npm_lifecycle_event", event)
        .env("npm_lifecycle_script", script)
        .env("npm_package_json", &manifest_path)
        .env("npm_command", command)
        .env(
            "INIT_CWD",
            std::env::current_dir().unwrap_or_else(|_| dir.to_path_buf()),
        )
        .envs(package_envs(&m))
        .envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())));
    let out = cmd.output().map_err(|e| PackError::Script {
        package: name.to_string(),
        event: event.to_string(),
        message: format!("could not start `sh`: {e}"),
    })?;
    let mut shown = String::from_utf8_lossy(&out.stdout).into_owned();
    shown.push_str(&String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        eprint!("{shown}");
        return Ok(true);
    }
    let code = out
        .status
        .code()
        .map(|c| format!("exit code {c}"))
        .unwrap_or_else(|| "a signal".into());
    Err(PackError::Script {
        package: name.to_string(),
        event: event.to_string(),
        message: format!("`{script}` failed with {code}; output:\n{shown}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_flattening_like_run_script() {
        let m = serde_json::json!({
            "name": "a", "version": "1.0.0",
            "config": {"port": 8080, "list": ["x", "y"], "off": false},
            "bin": {"a": "cli.js"}
        });
        let env = package_envs(&m);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("npm_package_name"), Some("a"));
        assert_eq!(get("npm_package_config_port"), Some("8080"));
        assert_eq!(get("npm_package_config_list_1"), Some("y"));
        assert_eq!(get("npm_package_config_off"), Some(""));
        assert_eq!(get("npm_package_bin_a"), Some("cli.js"));
    }
}
