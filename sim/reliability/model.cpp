#include "reliability/model.hpp"

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
    r.software_per_s = rate(p.accelerators, m.software_s);
    r.hardware_per_s = r.accelerator_per_s + r.host_per_s + r.nic_per_s + r.switch_per_s + r.transceiver_per_s + r.link_per_s;
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
    if (!(interval_s > 0)) return 0.0;
    if (!std::isfinite(mtti_s)) return interval_s / (interval_s + checkpoint_s);
    // M e^(R/M) (e^((tau + delta)/M) - 1) / tau, with expm1 for accuracy when M is large.
    const double wall_per_work = mtti_s * std::exp(restart_s / mtti_s) * std::expm1((interval_s + checkpoint_s) / mtti_s) / interval_s;
    return 1.0 / wall_per_work;
}

Outcome evaluate(const Parts& parts, const Mtbf& mtbf, double checkpoint_s, double restart_s, std::optional<double> interval_s) {
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
    o.useful_fraction = useful_fraction(o.interval_s, checkpoint_s, restart_s, o.mtti_s);
    return o;
}

}  // namespace clustersim::reliability
