//! Runs hot functions compiled for the widest vector instructions the CPU
//! has.
//!
//! The sweep and the row additions are plain loops the compiler vectorises;
//! with baseline x86-64 code generation it may only use SSE2, which lacks
//! 32-bit `min`/`max`. [`simd_dispatch!`] compiles the same function again
//! with AVX2, and with AVX-512, and picks at run time the widest the CPU
//! supports: results are identical, only the speed changes.

/// The instruction-set tiers the hot loops are compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// The target's baseline (SSE2 on x86-64).
    Baseline,
    /// AVX2: 8 lanes of 32 bits.
    Avx2,
    /// AVX-512 (F, BW, VL): 16 lanes of 32 bits.
    Avx512,
}

/// Defines `fn NAME(simd: Simd, args...) -> R` that runs `INNER(args...)`
/// compiled for the tier `simd` (which must come from [`best_simd`]).
/// `INNER` must be `#[inline(always)]`, as must what it calls, so that its
/// whole body is compiled again inside each tier's wrapper.
#[macro_export]
macro_rules! simd_dispatch {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty = $inner:path) => {
        $(#[$doc])*
        $vis fn $name(simd: $crate::simd::Simd, $($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) -> $ret {
                    $inner($($arg),*)
                }
                #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl")]
                unsafe fn avx512($($arg: $ty),*) -> $ret {
                    $inner($($arg),*)
                }
                match simd {
                    // SAFETY: `best_simd` reports a tier only when the
                    // running CPU has every feature its copy enables.
                    $crate::simd::Simd::Avx512 => return unsafe { avx512($($arg),*) },
                    $crate::simd::Simd::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::simd::Simd::Baseline => {}
                }
            }
            let _ = simd;
            $inner($($arg),*)
        }
    };
}

/// The widest tier this CPU can run; `SPIKEGATE_SIMD=baseline|avx2` caps
/// it (to compare tiers, or to rule them out when hunting a problem).
pub fn best_simd() -> Simd {
    let cap = std::env::var("SPIKEGATE_SIMD").ok();
    let allowed = |tier: &str| match cap.as_deref() {
        Some("baseline") => false,
        Some("avx2") => tier == "avx2",
        _ => true,
    };
    #[cfg(target_arch = "x86_64")]
    {
        let has = |f: bool, tier: &str| f && allowed(tier);
        if has(
            std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("avx2"),
            "avx512",
        ) {
            return Simd::Avx512;
        }
        if has(std::is_x86_feature_detected!("avx2"), "avx2") {
            return Simd::Avx2;
        }
    }
    let _ = allowed;
    Simd::Baseline
}
