//! `zone-server hash-password`: an argon2id hash for `staff.ron`.

use anyhow::Context as _;

/// `zone-server hash-password`: one line from standard input, hashed with the
/// zone's argon2id cost.
pub(crate) fn hash_password(config: &config::Config) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(!password.is_empty(), "the password is empty");
    let hash = zone_server::password::hash(password, config.zone.accounts.password_hashing)?;
    println!("{hash}");
    Ok(())
}
