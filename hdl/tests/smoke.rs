use spikegate_hdl::testing::{Harness, Pacing};
use spikegate_hdl::{plan, BuildOptions};

#[test]
fn smoke() {
    let net =
        spikegate_model::load_network(std::path::Path::new("../golden/ttfs/model.json")).unwrap();
    let input =
        spikegate_model::load_spikes(std::path::Path::new("../golden/ttfs/input.json"), &net)
            .unwrap();
    let plan = plan(&net, BuildOptions::default()).unwrap();
    let d = spikegate_hdl::verilog::emit(&plan).unwrap();
    std::fs::write("/tmp/ttfs.v", &d.verilog).unwrap();
    for (n, c) in &d.memory_files {
        std::fs::write(format!("/tmp/{n}"), c).unwrap();
    }
    let mut h = Harness::new(&plan).unwrap();
    let run = h
        .run(&input.samples[0].events, &mut Pacing::default())
        .unwrap();
    println!("{:?}", run);
}
