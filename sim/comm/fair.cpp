// Max-min fair sharing (progressive filling) in a fluid simulation: the reference the bottleneck
// approximation is checked against. Small cases only: O(events x links x flows).
#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <limits>

#include "comm/error.hpp"
#include "comm/loads.hpp"

namespace clustersim::comm {

namespace {

using Matrix = Eigen::SparseMatrix<double>;  // links x flows: the fraction of a flow on a link
using Vector = Eigen::VectorXd;

/// Max-min fair rates of the active flows (Bertsekas & Gallager, Data Networks, 6.5.2:
/// progressive filling). All unfrozen flows grow at the same rate until a link saturates; the
/// flows crossing it freeze; repeat.
Vector max_min_rates(const Matrix& a, const Matrix& at, const Vector& capacity, const std::vector<bool>& active) {
    const auto flows = a.cols();
    Vector rate = Vector::Zero(flows);
    Vector unfrozen(flows);
    for (Eigen::Index f = 0; f < flows; ++f) unfrozen[f] = active[static_cast<std::size_t>(f)] ? 1.0 : 0.0;
    Vector residual = capacity;
    for (Eigen::Index round = 0; round <= a.rows() && unfrozen.sum() > 0; ++round) {
        const Vector demand = a * unfrozen;  // per link: the fractions of the still-growing flows
        double step = std::numeric_limits<double>::infinity();
        for (Eigen::Index l = 0; l < a.rows(); ++l)
            if (demand[l] > 1e-15) step = std::min(step, residual[l] / demand[l]);
        if (!std::isfinite(step)) break;  // the growing flows cross no link (cannot happen for real flows)
        rate += step * unfrozen;
        residual -= step * demand;
        Vector saturated = Vector::Zero(a.rows());
        for (Eigen::Index l = 0; l < a.rows(); ++l)
            if (demand[l] > 1e-15 && residual[l] <= 1e-12 * capacity[l]) saturated[l] = 1.0;
        const Vector hit = at * saturated;
        for (Eigen::Index f = 0; f < flows; ++f)
            if (hit[f] > 0) unfrozen[f] = 0.0;
    }
    return rate;
}

}  // namespace

double max_min_makespan(const std::vector<double>& capacities,
                        const std::vector<std::vector<std::pair<std::size_t, double>>>& routes,
                        const std::vector<double>& sizes) {
    const auto links = static_cast<Eigen::Index>(capacities.size());
    const auto flows = static_cast<Eigen::Index>(routes.size());
    if (sizes.size() != routes.size()) throw CommError("max-min fair: one size per flow");
    std::vector<Eigen::Triplet<double>> entries;
    for (std::size_t f = 0; f < routes.size(); ++f)
        for (const auto& [l, frac] : routes[f]) {
            if (l >= capacities.size()) throw CommError("max-min fair: a route uses a link that does not exist");
            entries.emplace_back(static_cast<Eigen::Index>(l), static_cast<Eigen::Index>(f), frac);
        }
    Matrix a(links, flows);
    a.setFromTriplets(entries.begin(), entries.end());
    const Matrix at = a.transpose();
    Vector capacity(links);
    for (Eigen::Index l = 0; l < links; ++l) capacity[l] = capacities[static_cast<std::size_t>(l)];

    std::vector<double> remaining = sizes;
    std::vector<bool> active(routes.size());
    for (std::size_t f = 0; f < routes.size(); ++f) active[f] = sizes[f] > 0 && !routes[f].empty();
    double now = 0;
    while (std::any_of(active.begin(), active.end(), [](bool b) { return b; })) {
        const Vector rate = max_min_rates(a, at, capacity, active);
        double dt = std::numeric_limits<double>::infinity();
        for (std::size_t f = 0; f < active.size(); ++f)
            if (active[f] && rate[static_cast<Eigen::Index>(f)] > 0)
                dt = std::min(dt, remaining[f] / rate[static_cast<Eigen::Index>(f)]);
        if (!std::isfinite(dt)) throw CommError("max-min fair: active flows without a rate (a link of zero capacity?)");
        now += dt;
        for (std::size_t f = 0; f < active.size(); ++f) {
            if (!active[f]) continue;
            remaining[f] -= rate[static_cast<Eigen::Index>(f)] * dt;
            if (remaining[f] <= 1e-12 * sizes[f]) active[f] = false;
        }
    }
    return now;
}

}  // namespace clustersim::comm
