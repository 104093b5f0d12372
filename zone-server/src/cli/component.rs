//! `zone-server component install PATH`, `uninstall NAME` and `list`:
//! script components in the data directory (DESIGN §12), with the zone
//! stopped or running. A running zone loads what was installed at its next
//! start, or at once with `?insmod NAME`; `?rmmod` removes at once.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use zone_server::script::{self, Places};

#[derive(Debug, Subcommand)]
pub(crate) enum ComponentAction {
    /// Checks the component in FOLDER (its component.ron and Luau sources)
    /// or FILE.zip and copies it into the data directory.
    Install {
        /// A folder holding component.ron, or a .zip of one.
        path: PathBuf,
    },
    /// Removes an installed script component (its files folder stays).
    Uninstall {
        /// The component's name.
        name: String,
    },
    /// Lists installed script components: name, version, whether each
    /// loads, its commands or its error; and components zone.ron names that
    /// are not there.
    List,
}

/// `zone-server component …`.
pub(crate) fn run(action: ComponentAction, config: &config::Config, data: &Path) -> anyhow::Result<()> {
    let places = Places {
        config_dir: config.dir.clone(),
        files_root: data.join("component-files"),
        limits: config.zone.scripts.clone(),
    };
    match action {
        ComponentAction::Install { path } => {
            std::fs::create_dir_all(script::installed_dir(data))?;
            let unpacked = match path.extension().and_then(|e| e.to_str()) {
                Some(ext) if ext.eq_ignore_ascii_case("zip") => {
                    Some(script::unzip(&path).map_err(anyhow::Error::msg)?)
                }
                _ => None,
            };
            let source = unpacked.as_ref().map_or(path.as_path(), |dir| dir.path());
            let manifest = script::check(source, &places).map_err(anyhow::Error::msg)?.manifest;
            if compiled().contains(&manifest.name.as_str()) {
                anyhow::bail!("{} is the name of a component compiled into the server", manifest.name);
            }
            let dir = script::copy_in(source, data, &manifest.name).map_err(anyhow::Error::msg)?;
            println!("installed {} {} into {}", manifest.name, manifest.version, dir.display());
            println!(
                "it loads when the zone starts (in a running zone: ?insmod {}); attach it with ?attach {} or in zone.ron",
                manifest.name, manifest.name
            );
            Ok(())
        }
        ComponentAction::Uninstall { name } => {
            let dir = script::installed_dir(data).join(&name);
            if !dir.join(script::MANIFEST).exists() {
                anyhow::bail!("no script component called {name} is installed in {}", data.display());
            }
            script::remove_installed(data, &name).map_err(anyhow::Error::msg)?;
            let (kept, _) = script::persist::Kept::load(data);
            kept.forget(&name).map_err(anyhow::Error::msg)?;
            println!("uninstalled {name} (a running zone keeps it until ?rmmod {name} or a restart)");
            Ok(())
        }
        ComponentAction::List => {
            let mut names = Vec::new();
            for dir in script::installed(data) {
                let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if folder.starts_with('.') {
                    continue;
                }
                match script::check(&dir, &places) {
                    Ok(checked) => {
                        let manifest = checked.manifest;
                        println!(
                            "{} {}: loads - {}",
                            manifest.name,
                            manifest.version,
                            checked.commands.join(" ")
                        );
                        names.push(manifest.name);
                    }
                    Err(error) => {
                        let version =
                            script::read_manifest(&dir).map(|m| m.version).unwrap_or_else(|_| "?".into());
                        println!("{folder} {version}: does not load - {error}");
                        names.push(folder);
                    }
                }
            }
            if names.is_empty() {
                println!("no script components are installed in {}", data.display());
            }
            for name in named_in_config(config) {
                if !names.contains(&name) && !compiled().contains(&name.as_str()) {
                    println!("{name}: named in zone.ron, but not installed");
                }
            }
            Ok(())
        }
    }
}

/// The components compiled into this binary.
fn compiled() -> Vec<&'static str> {
    cmdman::Registry::linked(cmdman::Settings::default())
        .map(|registry| registry.tables().components().iter().map(|c| c.name()).collect())
        .unwrap_or_default()
}

/// Every component zone.ron names, once each, in name order.
fn named_in_config(config: &config::Config) -> Vec<String> {
    let mut names: Vec<String> = config.named_components().map(str::to_owned).collect();
    names.sort();
    names.dedup();
    names
}
