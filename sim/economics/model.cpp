#include "economics/model.hpp"

#include <cmath>
#include <stdexcept>

namespace clustersim::economics {
namespace {

constexpr double seconds_per_hour = 3600.0;

void check_non_negative(const std::optional<double>& v, const char* name) {
    if (v && !(*v >= 0 && std::isfinite(*v))) throw std::invalid_argument(std::string("economics: ") + name + " must be a finite non-negative number");
}

double scaled(const SystemFigure& f, std::int64_t chips) {
    if (f.chips <= 0) throw std::invalid_argument("economics: a system figure needs its chip count (> 0)");
    return f.value * static_cast<double>(chips) / static_cast<double>(f.chips);
}

// Sum of per-chip terms times the count plus a cluster-wide term. Unknown chip terms make the sum
// unknown; unknown host and network terms too, unless the assumptions omit them.
struct Sum {
    std::optional<double> total = 0.0;
    Outcome& out;
    bool omit;

    void add(const std::optional<double>& v, double times, const char* name, bool required) {
        if (v) {
            if (total) *total += *v * times;
            return;
        }
        if (!required && omit) {
            out.omitted.emplace_back(name);
            return;
        }
        out.unknown.emplace_back(name);
        total.reset();
    }
};

}  // namespace

double energy_per_token_j(double power_w, double tokens_per_s) {
    if (!(tokens_per_s > 0)) throw std::invalid_argument("economics: a token rate must be positive");
    return power_w / tokens_per_s;
}

double cost_per_million_tokens_usd(double cost_per_hour_usd, double tokens_per_s) {
    if (!(tokens_per_s > 0)) throw std::invalid_argument("economics: a token rate must be positive");
    return cost_per_hour_usd / (tokens_per_s * seconds_per_hour) * 1e6;
}

Inputs inputs_from_cluster(const catalog::Cluster& cluster) {
    Inputs in;
    in.chips = cluster.chip_count;
    if (cluster.chip) {
        const auto& c = *cluster.chip;
        if (c.tdp.known()) in.chip_tdp_w = c.tdp.value->si();
        if (c.host_power.known()) in.host_power_w_per_chip = c.host_power.value->si();
        if (c.price.known()) in.chip_price_usd = c.price.value->si();
        if (c.host_price.known()) in.host_price_usd_per_chip = c.host_price.value->si();
    }
    // make_cluster has already scaled the system's figures to this count.
    if (cluster.power_all_in.known()) in.power_all_in_w = SystemFigure{cluster.power_all_in.value->si(), cluster.chip_count};
    if (cluster.price.known()) in.system_price_usd = SystemFigure{cluster.price.value->si(), cluster.chip_count};
    return in;
}

Outcome evaluate(const Inputs& in, const Assumptions& a) {
    if (in.chips <= 0) throw std::invalid_argument("economics: the cluster needs at least one chip");
    if (!(a.electricity_usd_per_j > 0 && std::isfinite(a.electricity_usd_per_j))) {
        throw std::invalid_argument("economics: the electricity price must be positive");
    }
    if (!(a.pue >= 1 && std::isfinite(a.pue))) throw std::invalid_argument("economics: PUE must be at least 1");
    if (!(a.amortization_s > 0 && std::isfinite(a.amortization_s))) {
        throw std::invalid_argument("economics: the amortisation period must be positive");
    }
    for (const auto& [v, name] : {std::pair{in.chip_tdp_w, "chip TDP"}, {in.host_power_w_per_chip, "host power"},
                                  {in.network_power_w, "network power"}, {in.chip_price_usd, "chip price"},
                                  {in.host_price_usd_per_chip, "host price"}, {in.network_price_usd, "network price"},
                                  {in.training_tokens_per_s, "training tokens/s"},
                                  {in.serving_output_tokens_per_s, "serving output tokens/s"}}) {
        check_non_negative(v, name);
    }
    Outcome out;
    const double n = static_cast<double>(in.chips);

    // IT power: a system's all-in figure counts chips, hosts and its network as its source does, so
    // nothing is added to it; otherwise chips x (TDP + host) + network.
    if (in.power_all_in_w) {
        out.it_power_w = scaled(*in.power_all_in_w, in.chips);
        out.power_basis = "system all-in figure";
    } else {
        Sum s{0.0, out, a.omit_unknown_parts};
        s.add(in.chip_tdp_w, n, "chip TDP", true);
        s.add(in.host_power_w_per_chip, n, "host power", false);
        s.add(in.network_power_w, 1.0, "network power", false);
        out.it_power_w = s.total;
        out.power_basis = "chips + hosts + network";
    }
    if (out.it_power_w) out.facility_power_w = *out.it_power_w * a.pue;

    // Capital: a system price as its source counts it, else chips + hosts + network.
    if (in.system_price_usd) {
        out.capex_usd = scaled(*in.system_price_usd, in.chips);
        out.capex_basis = "system price";
    } else {
        Sum s{0.0, out, a.omit_unknown_parts};
        s.add(in.chip_price_usd, n, "chip price", true);
        s.add(in.host_price_usd_per_chip, n, "host price", false);
        s.add(in.network_price_usd, 1.0, "network price", false);
        out.capex_usd = s.total;
        out.capex_basis = "chips + hosts + network";
    }
    if (out.capex_usd) {
        out.capex_per_chip_usd = *out.capex_usd / n;
        out.capex_per_hour_usd = *out.capex_usd / a.amortization_s * seconds_per_hour;
    }
    if (out.facility_power_w) out.energy_per_hour_usd = *out.facility_power_w * seconds_per_hour * a.electricity_usd_per_j;
    if (out.capex_per_hour_usd && out.energy_per_hour_usd) out.cost_per_hour_usd = *out.capex_per_hour_usd + *out.energy_per_hour_usd;

    auto per_token = [&](const std::optional<double>& rate, std::optional<double>& energy, std::optional<double>& cost,
                         std::optional<double>& per_kw, std::optional<double>& per_musd) {
        if (!rate || *rate <= 0) return;  // no such workload, or nothing delivered: no figure per token
        if (out.facility_power_w) {
            energy = energy_per_token_j(*out.facility_power_w, *rate);
            if (*out.facility_power_w > 0) per_kw = *rate / (*out.facility_power_w / 1e3);
        }
        if (out.cost_per_hour_usd) cost = cost_per_million_tokens_usd(*out.cost_per_hour_usd, *rate);
        if (out.capex_usd && *out.capex_usd > 0) per_musd = *rate / (*out.capex_usd / 1e6);
    };
    per_token(in.training_tokens_per_s, out.training_energy_per_token_j, out.training_cost_per_million_tokens_usd,
              out.training_tokens_per_s_per_kw, out.training_tokens_per_s_per_musd);
    per_token(in.serving_output_tokens_per_s, out.serving_energy_per_output_token_j,
              out.serving_cost_per_million_output_tokens_usd, out.serving_output_tokens_per_s_per_kw,
              out.serving_output_tokens_per_s_per_musd);
    return out;
}

}  // namespace clustersim::economics
