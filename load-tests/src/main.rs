//! `rocqet-load`: load generator for Rocqet Hub and the y-websocket /
//! Hocuspocus servers it is compared with. Every subcommand is bounded in
//! connections and seconds, prints one JSON result line on stdout and a human
//! summary on stderr. Loopback benchmarking tool, not a test suite.

use clap::{Parser, Subcommand};

mod ack;
mod burst;
mod cold_load;
mod conn;
mod connect;
mod durability;
mod fanout;
mod plot;
mod proto;
mod report;
mod results;
mod server;
mod tables;
mod target;

#[derive(Debug, Parser)]
#[command(
    name = "rocqet-load",
    about = "Benchmarks Rocqet Hub and its peers over the y-websocket protocol"
)]
struct Cli {
    /// Tokio worker threads of the generator.
    #[arg(long, global = true, default_value_t = 2)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Idle connections: connect+sync time and server memory per connection.
    Connect(connect::ConnectArgs),
    /// Fan-out: end-to-end latency from one client's edit to the others.
    Fanout(fanout::FanoutArgs),
    /// Update-to-ack latency on `?ack=1` sockets.
    Ack(ack::AckArgs),
    /// Every client writes as fast as it can: deliveries/s and time to converge.
    Burst(burst::BurstArgs),
    /// Rocqet only, started by the scenario: SIGKILL at random moments; acked updates lost (must be 0).
    Durability(durability::DurabilityArgs),
    /// Rocqet only, started by the scenario: time to open a document with a long history, cold.
    ColdLoad(cold_load::ColdLoadArgs),
    /// Reads a run's JSON result lines; writes SVG charts and markdown tables.
    Report(results::ReportArgs),
}

fn main() {
    let cli = Cli::parse();
    // 10,000 sockets need more descriptors than the usual soft limit of 1024.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) if n < 20_000 => eprintln!("note: open-file limit is {n}"),
        Ok(_) => {}
        Err(e) => eprintln!("note: could not raise the open-file limit: {e}"),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rocqet-load: {e}");
            std::process::exit(2);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Connect(a) => connect::run(a).await,
            Command::Fanout(a) => fanout::run(a).await,
            Command::Ack(a) => ack::run(a).await,
            Command::Burst(a) => burst::run(a).await,
            Command::Durability(a) => durability::run(a).await,
            Command::ColdLoad(a) => cold_load::run(a).await,
            Command::Report(a) => results::run(a),
        }
    });
    if let Err(e) = result {
        eprintln!("rocqet-load: {e}");
        std::process::exit(1);
    }
}
