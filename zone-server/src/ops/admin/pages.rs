//! The admin page's HTML, rendered on the server with `maud` (which escapes
//! every value: player names, reasons and audit text are the players').

use maud::{DOCTYPE, Markup, html};

use super::Staff;
use crate::access::RuleSource;
use crate::sanction::Kind;
use crate::store::{AuditEntry, AuditFilter};
use crate::zone::Zone;

/// The page's style sheet.
pub(super) const CSS: &str = include_str!("admin.css");

/// The page's script: filtering lists and confirming removals.
pub(super) const JS: &str = include_str!("admin.js");

fn layout(title: &str, staff: Option<&Staff>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · zone admin" }
                link rel="stylesheet" href="/static/admin.css";
                script src="/static/admin.js" defer {}
            }
            body {
                header {
                    strong { "zone admin" }
                    @if let Some(staff) = staff {
                        nav {
                            a href="/groups" { "Groups" }
                            a href="/players" { "Players" }
                            a href="/sanctions" { "Bans & mutes" }
                            a href="/audit" { "Audit log" }
                            a href="/why" { "Why" }
                        }
                        form.logout method="post" action="/logout" {
                            span id="account" { (staff.account) }
                            input type="hidden" name="csrf" value=(staff.csrf);
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    @if let Some(staff) = staff {
                        @if !staff.flash.is_empty() {
                            pre id="result" { @for line in &staff.flash { (line) "\n" } }
                        }
                    }
                    (body)
                }
            }
        }
    }
}

pub(super) fn message_page(title: &str, text: &str) -> Markup {
    layout(title, None, html! { p.error { (text) } p { a href="/login" { "Log in" } } })
}

pub(super) fn login_page(csrf: &str, problem: Option<&str>) -> Markup {
    layout(
        "Log in",
        None,
        html! {
            @if let Some(problem) = problem { p.error id="problem" { (problem) } }
            form.login method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                label { "Name " input id="name" type="text" name="name" required autocomplete="username"; }
                label { "Password " input id="password" type="password" name="password" required autocomplete="current-password"; }
                button id="login" type="submit" { "Log in" }
            }
            p.hint { "Log in with your zone account. Staff only: accounts whose group may run ?adminpage." }
        },
    )
}

/// Groups as a tree of inheritance (a group under each group it inherits
/// from), and the chosen group's rules, command groups and members.
pub(super) fn groups_page(zone: &Zone, staff: &Staff, chosen: Option<&str>) -> Markup {
    let snapshot = zone.access().snapshot();
    let groups = snapshot.policy().groups();
    let mut children: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for group in groups {
        for parent in &group.inherits {
            children.entry(parent.as_str()).or_default().push(group.name.as_str());
        }
    }
    fn branch(
        name: &str,
        children: &std::collections::HashMap<&str, Vec<&str>>,
        chosen: Option<&str>,
        depth: usize,
    ) -> Markup {
        // Policies have no cycles; the depth bound is a second guard.
        let below: &[&str] = if depth < 16 { children.get(name).map_or(&[], Vec::as_slice) } else { &[] };
        html! {
            li {
                a.group.chosen[chosen == Some(name)] href=(super::group_url(name)) { (name) }
                @if !below.is_empty() {
                    ul { @for child in below.iter().copied() { (branch(child, children, chosen, depth + 1)) } }
                }
            }
        }
    }
    let roots: Vec<&str> = groups.iter().filter(|g| g.inherits.is_empty()).map(|g| g.name.as_str()).collect();
    let report = chosen.and_then(|name| snapshot.report(name));
    let members: Vec<_> = match &report {
        Some(report) => snapshot.memberships().into_iter().filter(|m| m.group == report.name).collect(),
        None => Vec::new(),
    };
    let body = html! {
        div.columns {
            section.tree {
                h2 { "Inheritance" }
                input.filter type="search" placeholder="filter groups" data-filter="#group-tree li";
                ul id="group-tree" { @for root in roots { (branch(root, &children, chosen, 0)) } }
            }
            section.detail {
                @if let Some(report) = &report {
                    h2 id="group-name" { (report.name) }
                    p { "Rank " (report.rank) ". Inherits "
                        @if report.inherits.is_empty() { "nothing" }
                        @for (i, parent) in report.inherits.iter().enumerate() {
                            @if i > 0 { ", " } a href=(super::group_url(parent)) { (parent) }
                        }
                        "." }
                    p { "Command groups: "
                        @if report.command_groups.is_empty() { "none" }
                        @for (i, (name, from)) in report.command_groups.iter().enumerate() {
                            @if i > 0 { ", " } (name) @if let Some(from) = from { " (from " (from) ")" }
                        }
                        ". All access: "
                        @match &report.all_access {
                            Some(from) if *from == report.name => "yes",
                            Some(from) => { "yes (from " (from) ")" },
                            None => "no",
                        }
                        "." }
                    h3 { "Rules" }
                    table id="rules" {
                        thead { tr { th { "rule" } th { "effect" } th { "where from" } th {} } }
                        tbody {
                            @for rule in &report.rules {
                                tr data-rule=(rule.key.to_string()) {
                                    td { code { (rule.key.to_string()) } }
                                    td { @match rule.effect { Some(effect) => (effect.to_string()), None => "revoked" } }
                                    td { @match &rule.source {
                                        RuleSource::Own(origin) => (origin.to_string()),
                                        RuleSource::Inherited(from) => { "inherited from " a href=(super::group_url(from)) { (from) } },
                                    } }
                                    td { @if matches!(rule.source, RuleSource::Own(_)) && rule.effect.is_some() {
                                        form method="post" action="/rules" {
                                            input type="hidden" name="csrf" value=(staff.csrf);
                                            input type="hidden" name="group" value=(report.name);
                                            input type="hidden" name="rule" value=(rule.key.to_string());
                                            button type="submit" name="effect" value="revoke" data-confirm="Revoke this rule?" { "revoke" }
                                        }
                                    } }
                                }
                            }
                        }
                    }
                    form id="rule-form" method="post" action="/rules" {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        input type="hidden" name="group" value=(report.name);
                        label { "Rule " input id="rule" type="text" name="rule" placeholder="command or command:form" required; }
                        button id="grant" type="submit" name="effect" value="grant" { "Grant" }
                        button id="deny" type="submit" name="effect" value="deny" { "Deny" }
                        button type="submit" name="effect" value="revoke" { "Revoke" }
                    }
                    h3 { "Members" }
                    ul id="members" {
                        @for member in &members {
                            li {
                                (member.name)
                                @if let Some(realm) = &member.realm { " in " (realm) }
                                " (" (member.origin.to_string()) ")"
                                form.inline method="post" action="/members" {
                                    input type="hidden" name="csrf" value=(staff.csrf);
                                    input type="hidden" name="player" value=(member.name);
                                    input type="hidden" name="group" value=(report.name);
                                    input type="hidden" name="realm" value=(member.realm.clone().unwrap_or_default());
                                    button type="submit" name="action" value="remove" data-confirm="Remove this membership?" { "remove" }
                                }
                            }
                        }
                        @if members.is_empty() { li.none { "No members set in staff.ron or at runtime." } }
                    }
                    form id="member-form" method="post" action="/members" {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        input type="hidden" name="group" value=(report.name);
                        label { "Player " input type="text" name="player" required; }
                        label { "Realm " input type="text" name="realm" placeholder="zone-wide"; }
                        button type="submit" name="action" value="set" { "Put in " (report.name) }
                    }
                } @else {
                    p { "Choose a group." }
                }
            }
        }
    };
    layout("Groups", Some(staff), body)
}

pub(super) fn players_page(zone: &Zone, staff: &Staff) -> Markup {
    let who = zone.who();
    let body = html! {
        p { (zone.player_count()) " online." }
        @for realm in &who {
            section.realm {
                h2 { @match &realm.name { Some(name) => (name), None => "in no realm" } }
                ul { @for player in &realm.players { li { (player) } } }
            }
        }
    };
    layout("Players online", Some(staff), body)
}

pub(super) fn sanctions_page(zone: &Zone, staff: &Staff) -> Markup {
    let sanctions = zone.sanctions().list(&[Kind::Ban, Kind::Kick, Kind::Mute]);
    let body = html! {
        table id="sanctions" {
            thead { tr { th { "name" } th { "what" } th { "by" } th { "since" } th { "until" } th { "reason" } th {} } }
            tbody {
                @for sanction in &sanctions {
                    tr {
                        td { (sanction.name) }
                        td { (sanction.kind.as_str()) }
                        td { (sanction.by) }
                        td { (crate::sanction::utc(sanction.at)) }
                        td { @match sanction.until { Some(end) => (crate::sanction::utc(end)), None => "lifted by hand" } }
                        td { (sanction.reason) }
                        td { form method="post" action="/sanctions" {
                            input type="hidden" name="csrf" value=(staff.csrf);
                            input type="hidden" name="name" value=(sanction.name);
                            input type="hidden" name="kind" value=(sanction.kind.as_str());
                            button type="submit" data-confirm="Lift it?" { "lift" }
                        } }
                    }
                }
                @if sanctions.is_empty() { tr { td colspan="7" { "No bans or mutes in force." } } }
            }
        }
    };
    layout("Bans & mutes", Some(staff), body)
}

pub(super) fn audit_page(
    staff: &Staff,
    filter: &AuditFilter,
    rows: Result<Vec<AuditEntry>, String>,
) -> Markup {
    let body = html! {
        form id="audit-filter" method="get" action="/audit" {
            label { "By " input type="text" name="by" value=(filter.by.clone().unwrap_or_default()); }
            label { "Action contains " input type="text" name="contains" value=(filter.contains.clone().unwrap_or_default()); }
            button type="submit" { "Filter" }
        }
        @match rows {
            Ok(rows) => table id="audit" {
                thead { tr { th { "when (UTC)" } th { "by" } th { "action" } th { "times" } } }
                tbody {
                    @for row in &rows {
                        tr { td { (row.at.to_string()) } td { (row.by) } td { (row.action) } td { (row.count) } }
                    }
                    @if rows.is_empty() { tr { td colspan="4" { "No entries." } } }
                }
            },
            Err(problem) => p.error { (problem) },
        }
    };
    layout("Audit log", Some(staff), body)
}

pub(super) fn why_page(
    staff: &Staff,
    player: &Option<String>,
    command: &Option<String>,
    form: &Option<String>,
    answer: Option<Vec<String>>,
) -> Markup {
    let value = |text: &Option<String>| text.clone().unwrap_or_default();
    let body = html! {
        form id="why-form" method="get" action="/why" {
            label { "Player " input id="why-player" type="text" name="player" value=(value(player)) required; }
            label { "Command " input id="why-command" type="text" name="command" value=(value(command)) required; }
            label { "Form " select name="form" {
                @for choice in ["", "pub", "team", "remote_team", "player", "external"] {
                    option value=(choice) selected[form.as_deref() == Some(choice)] { @if choice.is_empty() { "every form" } @else { (choice) } }
                }
            } }
            button type="submit" { "Why?" }
        }
        @if let Some(lines) = answer { pre id="why" { @for line in &lines { (line) "\n" } } }
        p.hint { "Like ?why: the player's group where they are, and for each form the step of the ladder and the rule that decided." }
    };
    layout("Why", Some(staff), body)
}
