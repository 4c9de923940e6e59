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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // tf-provider appends a captured backtrace to every diagnostic when
    // backtraces are enabled; users get the problem's detail, never a trace.
    // SAFETY: this runs first, before any other thread exists.
    unsafe {
        std::env::remove_var("RUST_BACKTRACE");
        std::env::remove_var("RUST_LIB_BACKTRACE");
    }
    tf_provider::serve("latchkey", provider::LatchkeyProvider::default()).await
}
