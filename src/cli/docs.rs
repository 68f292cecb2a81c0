//! `faultline completions SHELL` and `faultline man`: generated from the
//! same clap definitions as the parser, so they never drift from it.

use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use super::output::Output;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

fn print(bytes: Vec<u8>) -> ExitCode {
    let text = String::from_utf8_lossy(&bytes);
    match Output::open(None).and_then(|mut out| out.write(&text)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(stopped) => stopped.exit(),
    }
}

/// Prints the completion script for a shell.
pub fn completions(args: &CompletionsArgs) -> ExitCode {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "faultline", &mut script);
    print(script)
}

/// The man page section of one subcommand: its synopsis, description and
/// options under a `FAULTLINE NAME` heading.
fn subcommand_section(sub: &clap::Command) -> std::io::Result<String> {
    let name = format!("faultline {}", sub.get_name());
    let man = clap_mangen::Man::new(sub.clone().bin_name(&name));
    let mut roff = Vec::new();
    man.render_synopsis_section(&mut roff)?;
    man.render_description_section(&mut roff)?;
    man.render_options_section(&mut roff)?;
    let text = String::from_utf8_lossy(&roff)
        .replacen(
            ".SH SYNOPSIS",
            &format!(".SH \"{}\"", name.to_uppercase()),
            1,
        )
        .replacen(".SH DESCRIPTION\n", "", 1)
        .replace(".SH OPTIONS", ".SS Options");
    Ok(text)
}

/// Prints the man page: the command, then a section per subcommand.
pub fn man() -> ExitCode {
    let command = Cli::command();
    let mut page = Vec::new();
    let rendered = clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .and_then(|()| {
            for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
                page.extend(subcommand_section(sub)?.into_bytes());
            }
            Ok(())
        });
    match rendered {
        Ok(()) => print(page),
        Err(e) => {
            eprintln!("faultline: cannot render the man page: {e}");
            ExitCode::from(super::exit::ERROR)
        }
    }
}
