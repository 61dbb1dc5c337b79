#pragma once
// Failures, checkpoints and goodput of a training job: pure functions of a cluster's parts, their
// failure rates and the job's recovery figures. Equations and sources: docs/models/reliability.md.
//
// Every failure of any part interrupts the job (synchronous training: one lost rank stops all);
// parts fail independently with constant rates (exponential lifetimes), so the job's interruptions
// form a Poisson process of rate sum(count_i / MTBF_i) (formulas.md, "Reliability").
#include <optional>
#include <string>

namespace clustersim::reliability {

/// Counts of the parts a job depends on (fractional where a share of a system is used).
struct Parts {
    double accelerators = 0;
    double hosts = 0;         ///< servers (CPU, memory, storage, power, chassis)
    double nics = 0;          ///< scale-out network interfaces
    double switches = 0;      ///< every tier, scale-up and scale-out
    double transceivers = 0;  ///< optical modules
    double links = 0;         ///< cables (scale-out and optical links), full duplex
};

/// Mean time between failures of one part of each kind, in seconds (0: that kind never fails /
/// unknown, counted as no failures). `software` is per accelerator: interruptions not caused by a
/// hardware part (software bugs, framework and collective-library faults).
struct Mtbf {
    double accelerator_s = 0;
    double host_s = 0;
    double nic_s = 0;
    double switch_s = 0;
    double transceiver_s = 0;
    double link_s = 0;
    double software_s = 0;
    double planned_s = 0;  ///< per job: mean time between planned interruptions (maintenance); 0: none
};

/// Interruptions per second of a job on `parts` (failures and planned maintenance), and how many of
/// them are hardware failures.
struct FailureRate {
    double per_s = 0;
    double hardware_per_s = 0;
    double accelerator_per_s = 0, host_per_s = 0, nic_per_s = 0, switch_per_s = 0, transceiver_per_s = 0, link_per_s = 0,
           software_per_s = 0, planned_per_s = 0;
};
FailureRate failure_rate(const Parts& parts, const Mtbf& mtbf);

/// Young (CACM 1974): tau = sqrt(2 delta M), delta the checkpoint write time, M the mean time to
/// interruption.
double young_interval(double checkpoint_s, double mtti_s);
/// Daly (FGCS 2006), higher order: tau = sqrt(2 delta M) [1 + sqrt(delta / 2M) / 3 + (delta / 2M) / 9]
/// - delta for delta < 2M, else M.
double daly_interval(double checkpoint_s, double mtti_s);

/// The fraction of wall time spent on useful work (Daly 2006, eq. 15, for exponential
/// interruptions): each segment of tau seconds of work is followed by a checkpoint of delta; an
/// interruption loses the segment in progress and costs a restart of R seconds. Expected wall time
/// per unit of work: M e^(R/M) (e^((tau + delta)/M) - 1) / tau. Always below tau / (tau + delta)
/// (no failures); falls as M falls (more failures) and as R or delta grow. M infinite (no
/// failures): tau / (tau + delta).
double useful_fraction(double interval_s, double checkpoint_s, double restart_s, double mtti_s);

/// One job's reliability.
struct Outcome {
    FailureRate rate;
    double mtti_s = 0;          ///< mean time to interruption (infinite without failures)
    double checkpoint_s = 0;    ///< delta: one checkpoint's write time
    double interval_s = 0;      ///< tau: work between checkpoints (given, or Daly's optimum)
    double restart_s = 0;       ///< R: per interruption
    double useful_fraction = 1;
    [[nodiscard]] double interruptions_per_day() const { return rate.per_s * 86400.0; }
    /// MTTI / (MTTI + R): the share of time the job is not restarting (lost work aside), the
    /// availability UB-Mesh (arXiv 2503.20377, section 6.6) reports; 1 without failures.
    [[nodiscard]] double availability() const { return rate.per_s > 0 ? mtti_s / (mtti_s + restart_s) : 1.0; }
};

/// A training job's reliability settings, as a scenario gives them (docs/scenario-format.md,
/// "Reliability"), with the failure figures of its fleet profile resolved.
struct JobSpec {
    std::string profile;  ///< models/reliability/ id
    Mtbf mtbf;            ///< the profile's (unknown figures: 0, no failures of that kind)
    double restart_s = 0;  ///< per interruption: the profile's, or the scenario's
    double accelerators_per_host = 8;
    double nics_per_accelerator = 1;
    double checkpoint_Bps = 0;  ///< aggregate write bandwidth of the checkpoint storage
    std::optional<double> interval_s;  ///< empty: Daly's optimum
};

/// Bytes of a checkpoint of a model of `parameters` trained with mixed-precision Adam: 16-bit
/// weights and FP32 master weights and two moments, 14 bytes per parameter (ZeRO, SC20: 2 + K with
/// K = 12); gradients are not saved.
inline double checkpoint_bytes(double parameters) { return 14.0 * parameters; }

/// `interval_s` empty: Daly's optimum.
Outcome evaluate(const Parts& parts, const Mtbf& mtbf, double checkpoint_s, double restart_s,
                 std::optional<double> interval_s = std::nullopt);

}  // namespace clustersim::reliability
