#pragma once
// Failures, checkpoints and goodput of a training job: pure functions of a cluster's parts, their
// failure rates and the job's recovery figures. Equations and sources: docs/models/reliability.md.
//
// Every failure of any part interrupts the job (synchronous training: one lost rank stops all);
// parts fail independently with constant rates (exponential lifetimes), so the job's interruptions
// form a Poisson process of rate sum(count_i / MTBF_i) (formulas.md, "Reliability"). A part that
// holds several accelerators (a host, a rack) is one part: its failure takes all of them down and is
// one interruption, counted once.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace clustersim::reliability {

/// Counts of the parts a job depends on (fractional where a share of a system is used).
struct Parts {
    double accelerators = 0;
    double hosts = 0;         ///< servers (CPU, memory, storage, power, chassis)
    double nics = 0;          ///< scale-out network interfaces
    double switches = 0;      ///< every tier, scale-up and scale-out
    double transceivers = 0;  ///< optical modules
    double links = 0;         ///< cables (scale-out and optical links), full duplex
    double racks = 0;         ///< cabinets: rack-level events (power, cooling) take every part in them down at once
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
    double rack_s = 0;     ///< per rack: events that take the whole rack down (power distribution, cooling)
};

/// Interruptions per second of a job on `parts` (failures and planned maintenance), and how many of
/// them are hardware failures.
struct FailureRate {
    double per_s = 0;
    double hardware_per_s = 0;
    double accelerator_per_s = 0, host_per_s = 0, nic_per_s = 0, switch_per_s = 0, transceiver_per_s = 0, link_per_s = 0,
           rack_per_s = 0, software_per_s = 0, planned_per_s = 0;
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

/// One kind of recovery: the share of the interruptions it follows and what it costs.
struct RecoveryKind {
    double share = 1;      ///< of all interruptions; the shares of a job sum to 1
    double restart_s = 0;  ///< time lost beyond the lost work
};
/// Daly's useful fraction with several kinds of recovery (a spare's swap-in for some interruptions, a
/// full restart for the others). A failure during a recovery starts a new one, of a kind drawn
/// afresh; then the expected wall time per unit of work is
/// M (e^((tau + delta)/M) - 1) / (tau q), q = sum_k p_k e^(-R_k/M) (docs/models/reliability.md,
/// "Spares"). One kind: q = e^(-R/M), Daly's formula above. q falls as any R_k grows, so a
/// shorter recovery never lowers the fraction.
double useful_fraction(double interval_s, double checkpoint_s, const std::vector<RecoveryKind>& recoveries, double mtti_s);

/// Erlang's loss formula B(s, rho) (Erlang 1917): the probability that all s servers are busy when
/// requests arrive as a Poisson process with offered load rho = arrival rate x mean holding time;
/// it holds whatever the holding-time distribution (Sevastyanov 1957). Recursion B(0) = 1,
/// B(k) = rho B(k-1) / (k + rho B(k-1)). s >= 0, rho >= 0.
double erlang_b(std::int64_t servers, double offered_load);

/// Hot spare accelerators, as UB-Mesh's 64 + 1 racks (Liao et al., arXiv 2503.20377, section 3.3.2):
/// `per_domain` spares for every `domain_size` accelerators. An accelerator failure in a domain
/// with a spare free is recovered by swapping the spare in (`swap_s`: activate it, redirect the
/// failed accelerator's links, reload its state) instead of a full restart (find a replacement,
/// reschedule); the job keeps its size. The failed accelerator is out for `repair_s`, then it is
/// the domain's spare: a domain's spares form Erlang's loss system, the failures that find none
/// free (probability B(per_domain, domain_size x repair_s / accelerator MTBF)) cost a full restart.
/// Failures of hosts, racks and everything else take more than one accelerator or no accelerator
/// down: a spare accelerator does not cover them.
struct Spares {
    std::int64_t per_domain = 1;
    std::int64_t domain_size = 0;
    double swap_s = 0;
    double repair_s = 0;
};

/// One job's reliability.
struct Outcome {
    FailureRate rate;
    double mtti_s = 0;          ///< mean time to interruption (infinite without failures)
    double checkpoint_s = 0;    ///< delta: one checkpoint's write time
    double interval_s = 0;      ///< tau: work between checkpoints (given, or Daly's optimum)
    double restart_s = 0;       ///< R: per interruption a spare does not cover
    double swap_s = 0;          ///< per interruption a spare covers (with spares)
    double spared_per_s = 0;    ///< interruptions per second a spare covers
    double spares_busy = 0;     ///< probability a failing accelerator finds its domain's spares all out (Erlang B)
    double useful_fraction = 1;
    [[nodiscard]] double interruptions_per_day() const { return rate.per_s * 86400.0; }
    /// Mean time lost per interruption beyond the lost work: swap-ins and full restarts, weighted by
    /// their rates.
    [[nodiscard]] double mean_restart_s() const {
        return rate.per_s > 0 ? (spared_per_s * swap_s + (rate.per_s - spared_per_s) * restart_s) / rate.per_s : restart_s;
    }
    /// MTTI / (MTTI + mean restart): the share of time the job is not restarting (lost work aside),
    /// the availability UB-Mesh (arXiv 2503.20377, section 6.6) reports; 1 without failures.
    [[nodiscard]] double availability() const { return rate.per_s > 0 ? mtti_s / (mtti_s + mean_restart_s()) : 1.0; }
};

/// A training job's reliability settings, as a scenario gives them (docs/scenario-format.md,
/// "Reliability"), with the failure figures of its fleet profile resolved.
struct JobSpec {
    std::string profile;  ///< models/reliability/ id
    Mtbf mtbf;            ///< the profile's (unknown figures: 0, no failures of that kind)
    double restart_s = 0;  ///< per interruption: the profile's, or the scenario's
    double accelerators_per_host = 8;
    double nics_per_accelerator = 1;
    /// Accelerators per rack (cabinet) for rack-level events; empty: the system's cabinets.
    std::optional<double> accelerators_per_rack;
    double checkpoint_Bps = 0;  ///< aggregate write bandwidth of the checkpoint storage
    std::optional<double> interval_s;  ///< empty: Daly's optimum
    std::optional<Spares> spares;
};

/// Bytes of a checkpoint of a model of `parameters` trained with mixed-precision Adam: 16-bit
/// weights and FP32 master weights and two moments, 14 bytes per parameter (ZeRO, SC20: 2 + K with
/// K = 12); gradients are not saved.
inline double checkpoint_bytes(double parameters) { return 14.0 * parameters; }

/// `interval_s` empty: Daly's optimum (its optimum does not depend on the restart times, so spares
/// leave it unchanged). `spares` empty: every interruption costs `restart_s`.
Outcome evaluate(const Parts& parts, const Mtbf& mtbf, double checkpoint_s, double restart_s,
                 std::optional<double> interval_s = std::nullopt, const std::optional<Spares>& spares = std::nullopt);

}  // namespace clustersim::reliability
