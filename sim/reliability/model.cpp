#include "reliability/model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace clustersim::reliability {
namespace {

double rate(double count, double mtbf_s) { return mtbf_s > 0 ? count / mtbf_s : 0.0; }

}  // namespace

FailureRate failure_rate(const Parts& p, const Mtbf& m) {
    FailureRate r;
    r.accelerator_per_s = rate(p.accelerators, m.accelerator_s);
    r.host_per_s = rate(p.hosts, m.host_s);
    r.nic_per_s = rate(p.nics, m.nic_s);
    r.switch_per_s = rate(p.switches, m.switch_s);
    r.transceiver_per_s = rate(p.transceivers, m.transceiver_s);
    r.link_per_s = rate(p.links, m.link_s);
    r.rack_per_s = rate(p.racks, m.rack_s);
    r.software_per_s = rate(p.accelerators, m.software_s);
    r.hardware_per_s =
        r.accelerator_per_s + r.host_per_s + r.nic_per_s + r.switch_per_s + r.transceiver_per_s + r.link_per_s + r.rack_per_s;
    r.planned_per_s = m.planned_s > 0 ? 1.0 / m.planned_s : 0.0;
    r.per_s = r.hardware_per_s + r.software_per_s + r.planned_per_s;
    return r;
}

double young_interval(double checkpoint_s, double mtti_s) { return std::sqrt(2.0 * checkpoint_s * mtti_s); }

double daly_interval(double checkpoint_s, double mtti_s) {
    if (!(checkpoint_s < 2.0 * mtti_s)) return mtti_s;
    const double x = checkpoint_s / (2.0 * mtti_s);
    return std::sqrt(2.0 * checkpoint_s * mtti_s) * (1.0 + std::sqrt(x) / 3.0 + x / 9.0) - checkpoint_s;
}

double useful_fraction(double interval_s, double checkpoint_s, double restart_s, double mtti_s) {
    return useful_fraction(interval_s, checkpoint_s, std::vector<RecoveryKind>{{1.0, restart_s}}, mtti_s);
}

double useful_fraction(double interval_s, double checkpoint_s, const std::vector<RecoveryKind>& recoveries, double mtti_s) {
    if (!(interval_s > 0)) return 0.0;
    if (!std::isfinite(mtti_s)) return interval_s / (interval_s + checkpoint_s);
    // M (e^((tau + delta)/M) - 1) / (tau q), q = sum_k p_k e^(-R_k/M); expm1 for accuracy when M is
    // large. One kind: 1/q = e^(R/M), Daly's eq. 15, computed as such.
    const double segment = mtti_s * std::expm1((interval_s + checkpoint_s) / mtti_s) / interval_s;
    if (recoveries.size() == 1) return 1.0 / (segment * std::exp(recoveries.front().restart_s / mtti_s));
    double q = 0;
    for (const auto& k : recoveries) q += k.share * std::exp(-k.restart_s / mtti_s);
    return q / segment;
}

double erlang_b(std::int64_t servers, double offered_load) {
    double b = 1.0;
    for (std::int64_t k = 1; k <= servers; ++k) b = offered_load * b / (static_cast<double>(k) + offered_load * b);
    return b;
}

Outcome evaluate(const Parts& parts, const Mtbf& mtbf, double checkpoint_s, double restart_s, std::optional<double> interval_s,
                 const std::optional<Spares>& spares) {
    Outcome o;
    o.rate = failure_rate(parts, mtbf);
    o.mtti_s = o.rate.per_s > 0 ? 1.0 / o.rate.per_s : std::numeric_limits<double>::infinity();
    o.checkpoint_s = checkpoint_s;
    o.restart_s = restart_s;
    if (interval_s) {
        o.interval_s = *interval_s;
    } else {
        // Without failures any interval works; a day keeps the checkpoint cost negligible and finite.
        o.interval_s = std::isfinite(o.mtti_s) ? daly_interval(checkpoint_s, o.mtti_s) : 86400.0;
    }
    std::vector<RecoveryKind> recoveries{{1.0, restart_s}};
    if (spares && o.rate.accelerator_per_s > 0) {
        // Each domain's accelerators fail at domain_size / MTBF (a job smaller than one domain: its
        // accelerators); each failure holds a spare for the repair time: offered load
        // rho = accelerators per domain x repair / MTBF (Erlang's loss system).
        const double in_domain = std::min(static_cast<double>(spares->domain_size), parts.accelerators);
        const double rho = in_domain * spares->repair_s / mtbf.accelerator_s;
        o.swap_s = spares->swap_s;
        o.spares_busy = erlang_b(spares->per_domain, rho);
        o.spared_per_s = o.rate.accelerator_per_s * (1.0 - o.spares_busy);
        const double p = o.spared_per_s / o.rate.per_s;
        recoveries = {{1.0 - p, restart_s}, {p, spares->swap_s}};
    } else if (spares) {
        o.swap_s = spares->swap_s;
    }
    o.useful_fraction = useful_fraction(o.interval_s, checkpoint_s, recoveries, o.mtti_s);
    return o;
}

}  // namespace clustersim::reliability
