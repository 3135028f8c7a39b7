//! Seeded random networks whose layers see maps: convolutions (kernels 1
//! to 7, strides 1 to 3, padding, odd sizes) and sum pools, ending in a
//! dense layer after an implicit flatten or in a convolution, with every
//! neuron kind. For the differential test of conv, pool and flatten.

use spikegate_model::{validate, Conv2d, Layer, Matrix, Network, Shape3, SumPool, ValidNetwork};
use spikegate_model::{Decode, Output, MODEL_FORMAT};

use crate::random::{random_layer, uniform_matrix, Shape};
use crate::rng::SplitMix64;
use spikegate_model::width::range_of;

/// A random network of 1 to 3 map layers and maybe a dense last layer,
/// on an input map of 1 to 3 channels of 1 to 9 x 1 to 9, `steps` steps.
pub fn random_map_network(rng: &mut SplitMix64, steps: u32) -> ValidNetwork {
    let mut map: Shape3 = [1 + rng.below(3), 1 + rng.below(9), 1 + rng.below(9)];
    let inputs = map.iter().product();
    let decode = [Decode::FirstSpike, Decode::SpikeCount, Decode::Readout][rng.below(3)];
    let convs = 1 + rng.below(3);
    let dense_last = rng.chance(0.5);
    let mut layers = Vec::new();
    for k in 0..convs {
        let last = k + 1 == convs && !dense_last;
        let pool = random_pool(rng, map);
        let seen = pool.as_ref().map_or(map, SumPool::output);
        let layer = random_conv_layer(rng, seen, steps, last && decode == Decode::Readout, pool);
        map = layer
            .conv2d
            .as_ref()
            .and_then(Conv2d::output)
            .expect("drawn to fit");
        layers.push(layer);
    }
    if dense_last {
        // Flatten is the identity on indices: the dense layer's rows are
        // the map's neurons, in channel, row, column order.
        let pool = random_pool(rng, map);
        let fan_in = pool.as_ref().map_or(map, SumPool::output).iter().product();
        let size = 1 + rng.below(6);
        let shape = Shape::new(fan_in, &[size], steps);
        let mut layer = random_layer(rng, &shape, fan_in, size, decode == Decode::Readout);
        layer.input_pool = pool;
        layers.push(layer);
    }
    let network = Network {
        format: MODEL_FORMAT.to_owned(),
        name: "random_maps".to_owned(),
        time_steps: steps,
        inputs,
        layers,
        output: Output { decode },
    };
    validate(network).unwrap_or_else(|e| panic!("random map network is invalid: {e}"))
}

/// A sum pool over `map` in a third of the layers whose map it can tile
/// with windows larger than one neuron.
fn random_pool(rng: &mut SplitMix64, map: Shape3) -> Option<SumPool> {
    let [_, h, w] = map;
    let divides = |n: usize| (2..=3).filter(move |k| n % k == 0);
    let ky = divides(h).next().unwrap_or(1);
    let kx = divides(w).next_back().unwrap_or(1);
    (rng.chance(0.35) && ky * kx > 1).then_some(SumPool {
        input: map,
        kernel: [ky, kx],
    })
}

/// A conv layer over the map `seen`: kernel, stride and padding drawn so
/// the kernel fits, a random neuron kind, kernels in the weight range.
fn random_conv_layer(
    rng: &mut SplitMix64,
    seen: Shape3,
    steps: u32,
    readout: bool,
    pool: Option<SumPool>,
) -> Layer {
    let [c_in, h, w] = seen;
    let side = |rng: &mut SplitMix64, n: usize| {
        let k = 1 + rng.below(7);
        let pad = rng.below(k);
        // Shrink a kernel that does not fit the padded side.
        let k = k.min(n + 2 * pad);
        (k, pad.min(k - 1), 1 + rng.below(3))
    };
    let (kh, py, sy) = side(rng, h);
    let (kw, px, sx) = side(rng, w);
    let out_channels = 1 + rng.below(4);
    let mut conv = Conv2d {
        input: seen,
        out_channels,
        kernel: [kh, kw],
        stride: Some([sy, sx]),
        padding: Some([py, px]),
        weights: Vec::new(),
    };
    let size: usize = conv.output().expect("the kernel fits").iter().product();
    let fan_in = c_in * h * w;
    let shape = Shape {
        max_delay: Some(0),
        ..Shape::new(fan_in, &[size], steps)
    };
    let mut layer = random_layer(rng, &shape, 1, size, readout);
    let (lo, hi) = range_of(layer.widths.weight);
    conv.weights = (0..out_channels)
        .map(|_| {
            (0..c_in)
                .map(|_| kernel(rng, kh, kw, (lo / 2, hi)))
                .collect()
        })
        .collect();
    layer.bias = layer.bias.map(|_| {
        (0..out_channels)
            .map(|_| rng.range(lo / 4, hi / 4))
            .collect()
    });
    layer.weights = Matrix::default();
    layer.delays = None;
    layer.conv2d = Some(conv);
    layer.input_pool = pool;
    layer
}

/// A `kh x kw` kernel of values uniform in `range`.
fn kernel(rng: &mut SplitMix64, kh: usize, kw: usize, range: (i64, i64)) -> Matrix<i64> {
    uniform_matrix(rng, kh, kw, range)
}
