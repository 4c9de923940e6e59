//! `terraform-provider-latchkey`: the Terraform provider of Latchkey, on the
//! plugin protocol 6. A client of the public REST API only.

mod client;
mod common;
mod data_sources;
mod group;
mod in_tenant;
mod managed;
mod member;
mod provider;
mod rotation;
mod tenant;
mod token;
mod user;

/// A plain `main`, not `#[tokio::main]`: the environment is changed before
/// the runtime, and with it any other thread, exists.
fn main() -> anyhow::Result<()> {
    // tf-provider appends a captured backtrace to every diagnostic when
    // backtraces are enabled; users get the problem's detail, never a trace.
    // SAFETY: the process has one thread here: no runtime has been built
    // and nothing before this line spawns one, so no other thread can read
    // the environment while it changes.
    unsafe {
        std::env::remove_var("RUST_BACKTRACE");
        std::env::remove_var("RUST_LIB_BACKTRACE");
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve())
}

async fn serve() -> anyhow::Result<()> {
    tf_provider::serve("latchkey", provider::LatchkeyProvider::default()).await
}
