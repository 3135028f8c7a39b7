//! Runs a hot closure compiled for AVX2 when the CPU has it.
//!
//! The sweep and the row additions are plain loops the compiler vectorises;
//! with baseline x86-64 code generation it may only use SSE2, which lacks
//! 32-bit `min`/`max`. [`with_best_simd`] compiles the same closure a second
//! time with AVX2 enabled and picks that version at run time, so results
//! are identical and only the speed changes. The closure and the functions
//! it calls must be `#[inline(always)]` for the AVX2 code to reach them.

/// Calls `f`, through an AVX2-compiled copy when `avx2` is true.
/// `avx2` must come from [`has_avx2`].
#[inline(always)]
pub fn with_best_simd<R>(avx2: bool, f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: `avx2` is true only when the running CPU reports AVX2
        // (see `has_avx2`), so the AVX2 instructions are available.
        return unsafe { run_avx2(f) };
    }
    let _ = avx2;
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Whether this CPU can run the AVX2 copies.
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
