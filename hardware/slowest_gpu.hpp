#pragma once
// The slowest GPU of a synchronous job.
//
// Nominally identical GPUs do not run a compute-bound kernel at the same rate: at its power limit
// each die settles at its own SM clock, and the spread is a stable property of the GPU, not of
// the run (GpuSpec::perf_variation, with its measurement in hardware/catalog/gpus.yaml). A
// training step is synchronous — a tensor-parallel group waits for its slowest member at every
// collective, a pipeline runs at its slowest stage, data-parallel replicas meet at the gradient
// reduction — so every rank's compute-bound work proceeds at the pace of the job's slowest GPU.
// With per-GPU rates r_i = r̄ (1 + σ z_i), z_i independent standard normals, the job's compute-
// bound time is that of the slowest GPU; to first order in σ it is the mean GPU's time times
//
//   slowest_gpu_factor(σ, N) = 1 + σ · E[max of N standard normals]
//
// E[max of 1] = 0 (one GPU waits for nobody), E[max of 2] = 1/√π ≈ 0.5642, E[max of 8] ≈ 1.4236,
// E[max of 1024] ≈ 3.24: the factor grows like σ·√(2 ln N).
namespace trainsim::hardware {

/// E[max(z_1, …, z_n)] for n independent standard normal z_i: ∫ x · n φ(x) Φ(x)^(n−1) dx,
/// integrated numerically (Simpson, |error| < 1e-9 for n ≤ 10^6) and remembered per n. n >= 1;
/// thread-safe.
double expected_max_standard_normal(int n);

/// 1 + cv · expected_max_standard_normal(n): the compute-bound time of a synchronous job of n
/// GPUs whose rates have coefficient of variation cv, relative to one mean GPU. cv >= 0, n >= 1.
double slowest_gpu_factor(double cv, int n);

}  // namespace trainsim::hardware
