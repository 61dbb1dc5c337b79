#include "run/runner.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <map>
#include <memory>
#include <tuple>

#include "chip/chip_model.hpp"
#include "comm/cost.hpp"
#include "topo/topology.hpp"
#include "units/format.hpp"

namespace clustersim::run {
namespace {

/// How many runner-up plans a search reports besides the best.
constexpr std::size_t runners_up = 4;

TrainingOutcome run_training(const scenario::Case& c, const train::TrainingCluster* cluster, const std::string& setup_error) {
    TrainingOutcome out;
    const auto& spec = *c.training;
    out.workload = spec.workload->id;
    out.global_batch = spec.global_batch;
    out.seq_len = spec.seq_len;
    out.precision = std::string(chip::to_string(spec.precision));
    out.searched = !spec.plan;
    if (c.measured && !train::is_serving(c.measured->metric)) out.measured = c.measured;
    if (!cluster) {
        out.problem = setup_error;
        return out;
    }
    if (spec.plan) {
        auto r = train::evaluate(spec, *spec.plan, *cluster, /*require_fit=*/false);
        if (auto* rej = std::get_if<train::Rejection>(&r)) {
            out.problem = rej->reason;
            return out;
        }
        out.step = std::get<train::StepResult>(std::move(r));
        if (!out.step->fits) {
            out.problem = "the memory model says this plan does not fit: " +
                          train::memory_shortfall(out.step->memory.total(), cluster->hbm_bytes(),
                                                  spec.execution.memory_reserve);
        }
    } else {
        auto found = train::search(spec, *cluster, train::default_space(spec, *cluster), 1 + runners_up);
        out.plans_evaluated = found.evaluated;
        out.plans_feasible = found.feasible;
        out.rejected = std::move(found.rejected);
        if (found.best.empty()) {
            out.problem = "no plan runs: " + std::to_string(found.evaluated) + " plans tried";
            for (const auto& [category, r] : out.rejected) out.problem += "; " + category + " (" + std::to_string(r.count) + "): " + r.example;
            return out;
        }
        out.step = std::move(found.best.front());
        out.runners_up.assign(std::make_move_iterator(found.best.begin() + 1), std::make_move_iterator(found.best.end()));
    }
    if (c.measured && !train::is_serving(c.measured->metric))
        out.predicted = train::predict(*c.measured, spec, c.cluster.chip_count, *out.step);
    return out;
}

ServingOutcome run_serving(const scenario::Case& c, const train::TrainingCluster* cluster, const std::string& setup_error) {
    ServingOutcome out;
    out.spec = *c.serving;
    if (c.measured && train::is_serving(c.measured->metric)) out.measured = c.measured;
    if (!cluster) {
        out.problem = setup_error;
        return out;
    }
    auto r = serve::serve(out.spec, *cluster);
    if (auto* rej = std::get_if<train::Rejection>(&r)) {
        out.problem = rej->reason;
        return out;
    }
    out.result = std::get<serve::ServingResult>(std::move(r));
    // A given batch is timed whatever it costs: say when it does not fit or misses its limit.
    std::vector<std::string> problems;
    for (const serve::PhaseResult* phase : {&out.result->prefill, &out.result->decode}) {
        const std::string name(serve::to_string(phase->phase));
        if (phase->memory.total() > phase->usable_hbm_bytes) {
            problems.push_back("the memory model says the " + name + " batch does not fit: needs " +
                               units::format_si(phase->memory.total(), units::Dimension::data) + " per rank, " +
                               units::format_si(phase->usable_hbm_bytes, units::Dimension::data) + " usable");
        }
        const auto limit = phase->phase == serve::Phase::prefill ? out.spec.ttft_limit_s : out.spec.tpot_limit_s;
        if (limit && phase->latency_s > *limit) {
            problems.push_back("the given " + name + " batch misses its " + (phase->phase == serve::Phase::prefill ? "TTFT" : "TPOT") +
                               " limit: " + units::format_si(phase->latency_s, units::Dimension::time) + " > " +
                               units::format_si(*limit, units::Dimension::time));
        }
    }
    for (const auto& p : problems) out.problem += (out.problem.empty() ? "" : "; ") + p;
    if (out.measured) out.predicted = serve::predict(*out.measured, *out.result);
    return out;
}

ReliabilityOutcome run_reliability(const scenario::Case& c, const TrainingOutcome& training, const topo::Metrics& network) {
    const auto& job = *c.reliability;
    ReliabilityOutcome out;
    out.profile = job.profile;
    const auto chips = static_cast<double>(c.cluster.chip_count);
    // The job's share of its network's parts: the first `chips` accelerators of a larger system use
    // that fraction of its switches, links and transceivers.
    const double share = network.accelerators > 0 ? chips / static_cast<double>(network.accelerators) : 1.0;
    out.parts.accelerators = chips;
    out.parts.hosts = chips / job.accelerators_per_host;
    out.parts.nics = chips * job.nics_per_accelerator;
    out.parts.switches = static_cast<double>(network.switches) * share;
    // Cables: every scale-out link and every optical link. Electrical scale-up links (board traces
    // and backplanes to NVSwitch or UB switch chips) fail with their accelerator or host.
    double cables = 0;
    for (const auto& lc : network.link_counts) {
        const auto level = std::find_if(network.levels.begin(), network.levels.end(), [&](const auto& l) { return l.name == lc.level; });
        const bool scale_out = level == network.levels.end() || level->plane_kind == topo::PlaneKind::scale_out;
        if (scale_out || lc.spec.medium == topo::Medium::optical) cables += static_cast<double>(lc.count);
    }
    out.parts.links = cables * share;
    out.parts.transceivers = static_cast<double>(network.transceivers) * share;
    out.checkpoint_bytes = reliability::checkpoint_bytes(train::count_params(*c.training->workload).total);
    out.outcome = reliability::evaluate(out.parts, job.mtbf, out.checkpoint_bytes / job.checkpoint_Bps, job.restart_s, job.interval_s);
    if (training.step) out.goodput_tokens_per_s = training.step->tokens_per_s * out.outcome.useful_fraction;
    return out;
}

}  // namespace

std::variant<std::unique_ptr<train::TrainingCluster>, std::string> make_training_cluster(
    const catalog::ChipSpec& chip, std::int64_t chips, std::shared_ptr<const topo::Topology> network) {
    auto model = chip::make_chip_model(chip);
    if (auto* e = std::get_if<std::string>(&model)) return "the chip model needs figures the catalog lacks: " + *e;
    if (!chip.hbm_capacity.known()) return std::string("the chip's HBM capacity is unknown");
    const double scale_up = chip.scale_up_bandwidth.known() ? chip.scale_up_bandwidth.value->si() : 0.0;
    auto cost = comm::preset_cost_model(*network, scale_up);
    return std::make_unique<train::TrainingCluster>(std::get<chip::ChipModel>(std::move(model)), chip.hbm_capacity.value->si(),
                                                    chips, std::move(network), std::move(cost));
}

RunResult run_scenario(const scenario::Scenario& scenario) {
    RunResult r;
    r.scenario = scenario.name;
    const std::size_t n = scenario.cases.size();
    r.cases.resize(n);
    // Every distinct topology is analysed once, however many rows share it.
    std::map<const catalog::TopologySpec*, topo::Metrics> networks;
    std::map<const catalog::TopologySpec*, topo::NetworkCost> costs;  // network power and price, likewise
    for (const auto& c : scenario.cases) {
        if (c.cluster.topology && networks.count(c.cluster.topology.get()) == 0) {
            const auto& m = networks.emplace(c.cluster.topology.get(), topo::analyze(c.cluster.topology->params)).first->second;
            costs.emplace(c.cluster.topology.get(), aggregate::network_cost_of(*c.cluster.topology, m));
        }
    }
    // Training clusters: one per distinct (topology, chip, chip count), built before the parallel
    // loop so that cases sharing one share its collective cost curves.
    using ClusterKey = std::tuple<const catalog::TopologySpec*, const catalog::ChipSpec*, std::int64_t>;
    std::map<const catalog::TopologySpec*, std::shared_ptr<const topo::Topology>> graphs;
    std::map<ClusterKey, std::pair<std::unique_ptr<train::TrainingCluster>, std::string>> training;
    for (const auto& c : scenario.cases) {
        if (!c.training && !c.serving) continue;
        const ClusterKey key{c.job_network.get(), c.cluster.chip.get(), c.cluster.chip_count};
        if (training.count(key) != 0) continue;
        auto& [cluster, error] = training[key];
        auto& graph = graphs[c.job_network.get()];
        if (!graph) graph = std::make_shared<const topo::Topology>(topo::build(c.job_network->params));
        auto made = make_training_cluster(*c.cluster.chip, c.cluster.chip_count, graph);
        if (auto* e = std::get_if<std::string>(&made)) {
            error = *e;
        } else {
            cluster = std::move(std::get<std::unique_ptr<train::TrainingCluster>>(made));
        }
    }
    // The parts of every job network (the reliability model counts them).
    std::map<const catalog::TopologySpec*, topo::Metrics> job_networks;
    for (const auto& c : scenario.cases) {
        if (c.reliability && c.job_network && job_networks.count(c.job_network.get()) == 0)
            job_networks.emplace(c.job_network.get(), topo::analyze(c.job_network->params));
    }
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
        const auto& c = scenario.cases[i];
        CaseResult& out = r.cases[i];
        out.scenario = scenario.name;
        out.name = c.name;
        out.baseline = c.baseline;
        out.system_id = c.cluster.system_id;
        out.chip_id = c.cluster.chip->id;
        out.topology = c.cluster.topology ? c.cluster.topology->builder : std::string();
        out.aggregates = aggregate::compute_aggregates(
            c.cluster, c.cluster.topology ? &networks.at(c.cluster.topology.get()) : nullptr,
            c.cluster.topology ? &costs.at(c.cluster.topology.get()) : nullptr);
        if (c.training) {
            const auto& [cluster, error] = training.at({c.job_network.get(), c.cluster.chip.get(), c.cluster.chip_count});
            out.training = run_training(c, cluster.get(), error);
            if (c.reliability) out.reliability = run_reliability(c, *out.training, job_networks.at(c.job_network.get()));
        }
        if (c.serving) {
            const auto& [cluster, error] = training.at({c.job_network.get(), c.cluster.chip.get(), c.cluster.chip_count});
            out.serving = run_serving(c, cluster.get(), error);
        }
    });
    std::map<std::string, std::size_t, std::less<>> index;
    for (std::size_t i = 0; i < n; ++i) index.emplace(r.cases[i].name, i);
    for (auto& c : r.cases) {
        if (const auto it = index.find(c.baseline); !c.baseline.empty() && it != index.end()) {
            c.baseline_index = it->second;
        }
    }
    return r;
}

}  // namespace clustersim::run
