#include "run/runner.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "chip/chip_model.hpp"
#include "run/comm_bench.hpp"
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
    out.execution = spec.execution;
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
            out.problem = "the memory model says this plan does not fit: " + train::memory_shortfall(out.step->memory, spec, *cluster);
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
    // Racks (cabinets), for events that take a whole rack down: the scenario's accelerators per
    // rack, else the system's cabinets scaled to the chips (network cabinets included: their loss
    // interrupts the job too), whole racks (a job on part of a rack stops when it fails); unknown
    // without either, and then not counted.
    if (job.accelerators_per_rack) {
        out.parts.racks = std::ceil(chips / *job.accelerators_per_rack);
    } else if (c.cluster.cabinets) {
        out.parts.racks = std::ceil(*c.cluster.cabinets);
    } else {
        out.racks_known = false;
        if (job.mtbf.rack_s > 0) {
            out.note = "the profile '" + job.profile + "' has a rack MTBF (" +
                       units::format_si(job.mtbf.rack_s, units::Dimension::time) +
                       ") but the case has no rack count: give reliability.accelerators_per_rack (or use a system with "
                       "cabinets); rack events are not counted, so the goodput is optimistic";
        }
    }
    if (job.spares) {
        out.spare_accelerators = std::ceil(chips / static_cast<double>(job.spares->domain_size)) * static_cast<double>(job.spares->per_domain);
    }
    out.checkpoint_bytes = reliability::checkpoint_bytes(train::count_params(*c.training->workload).total);
    out.outcome = reliability::evaluate(out.parts, job.mtbf, out.checkpoint_bytes / job.checkpoint_Bps, job.restart_s, job.interval_s,
                                        job.spares);
    if (training.step) out.goodput_tokens_per_s = training.step->tokens_per_s * out.outcome.useful_fraction;
    return out;
}

EconomicsOutcome run_economics(const scenario::Case& c, const CaseResult& r) {
    const economics::Assumptions& a = *c.economics;
    EconomicsOutcome out{a, {}, std::nullopt, std::nullopt};
    economics::Inputs in = economics::inputs_from_cluster(c.cluster);
    if (r.aggregates.network_power) in.network_power_w = r.aggregates.network_power->si();
    if (r.aggregates.network_price) in.network_price_usd = r.aggregates.network_price->si();
    in.training_tokens_per_s = training_tokens_per_s(r);
    in.serving_output_tokens_per_s = serving_output_tokens_per_s(r);
    if (a.silicon) {
        auto pin = economics::package_inputs(*c.cluster.chip, &a.silicon->process);
        pin.hbm_usd = a.silicon->hbm_usd;
        pin.packaging_usd = a.silicon->packaging_usd;
        out.package = economics::package_cost(pin);
        if (out.package->good_dies_per_wafer && *out.package->good_dies_per_wafer > 0 && pin.dies_per_package) {
            out.wafers_needed = static_cast<double>(c.cluster.chip_count) * static_cast<double>(*pin.dies_per_package) /
                                *out.package->good_dies_per_wafer;
        }
        if (a.silicon->price_chips) {
            // Bottom up from the package cost: a system's price bundles what is counted here apart.
            in.chip_price_usd = out.package->package_usd;
            in.system_price_usd.reset();
        }
    }
    out.outcome = economics::evaluate(in, a);
    return out;
}

}  // namespace

std::variant<std::unique_ptr<train::TrainingCluster>, std::string> make_training_cluster(
    const catalog::ChipSpec& chip, std::int64_t chips, std::shared_ptr<const topo::Topology> network,
    std::optional<double> host_bytes) {
    auto model = chip::make_chip_model(chip);
    if (auto* e = std::get_if<std::string>(&model)) return "the chip model needs figures the catalog lacks: " + *e;
    if (!chip.hbm_capacity.known()) return std::string("the chip's HBM capacity is unknown");
    auto cost = job_cost_model(chip, *network);
    return std::make_unique<train::TrainingCluster>(std::get<chip::ChipModel>(std::move(model)), chip.hbm_capacity.value->si(),
                                                    chips, std::move(network), std::move(cost), host_bytes);
}

std::optional<double> host_bytes_per_chip(const catalog::Cluster& cluster) {
    if (!cluster.host_memory.known() || cluster.chip_count < 1) return std::nullopt;
    return cluster.host_memory.value->si() / static_cast<double>(cluster.chip_count);
}

struct Evaluator::Shared {
    /// (job network, chip, chip count, host memory per chip)
    using ClusterKey = std::tuple<const catalog::TopologySpec*, const catalog::ChipSpec*, std::int64_t, std::optional<double>>;
    static ClusterKey key_of(const scenario::Case& c) {
        return {c.job_network.get(), c.cluster.chip.get(), c.cluster.chip_count, host_bytes_per_chip(c.cluster)};
    }
    // Kept for the whole run: a scenario has few distinct networks, however many rows.
    std::map<const catalog::TopologySpec*, topo::Metrics> networks;
    std::map<const catalog::TopologySpec*, topo::NetworkCost> costs;  ///< network power and price
    std::map<const catalog::TopologySpec*, std::shared_ptr<const topo::Topology>> graphs;
    std::map<const catalog::TopologySpec*, topo::Metrics> job_networks;  ///< parts the reliability model counts
    // Kept while the prepared cases need them: a sweep over chip figures has one per row.
    std::map<ClusterKey, std::pair<std::unique_ptr<train::TrainingCluster>, std::string>> training;
};

Evaluator::Evaluator(const scenario::Scenario& scenario) : scenario_(scenario), shared_(std::make_unique<Shared>()) {}

void Evaluator::prepare(const std::vector<std::size_t>& cases) {
    Shared& sh = *shared_;
    std::set<Shared::ClusterKey> wanted;
    std::vector<std::pair<Shared::ClusterKey, std::size_t>> missing;  // and a case that needs it
    for (const std::size_t i : cases) {
        const auto& c = scenario_.cases.at(i);
        // Every distinct topology is analysed once, however many rows share it.
        if (c.cluster.topology && sh.networks.count(c.cluster.topology.get()) == 0) {
            const auto& m = sh.networks.emplace(c.cluster.topology.get(), topo::analyze(c.cluster.topology->params)).first->second;
            sh.costs.emplace(c.cluster.topology.get(), aggregate::network_cost_of(*c.cluster.topology, m));
        }
        if (c.training || c.serving) {
            const Shared::ClusterKey key = Shared::key_of(c);
            if (wanted.insert(key).second && sh.training.count(key) == 0) missing.emplace_back(key, i);
            auto& graph = sh.graphs[c.job_network.get()];
            if (!graph) graph = std::make_shared<const topo::Topology>(topo::build(c.job_network->params));
        }
        if (c.reliability && c.job_network && sh.job_networks.count(c.job_network.get()) == 0)
            sh.job_networks.emplace(c.job_network.get(), topo::analyze(c.job_network->params));
    }
    std::erase_if(sh.training, [&](const auto& kv) { return wanted.count(kv.first) == 0; });
    // Training clusters (chip model and collective cost curves), one per distinct (network, chip,
    // count), built in parallel: each depends only on its key.
    std::vector<std::pair<std::unique_ptr<train::TrainingCluster>, std::string>> built(missing.size());
    tbb::parallel_for(std::size_t{0}, missing.size(), [&](std::size_t k) {
        const auto& c = scenario_.cases[missing[k].second];
        auto made = make_training_cluster(*c.cluster.chip, c.cluster.chip_count, sh.graphs.at(c.job_network.get()),
                                          host_bytes_per_chip(c.cluster));
        if (auto* e = std::get_if<std::string>(&made)) {
            built[k].second = *e;
        } else {
            built[k].first = std::move(std::get<std::unique_ptr<train::TrainingCluster>>(made));
        }
    });
    for (std::size_t k = 0; k < missing.size(); ++k) sh.training.emplace(missing[k].first, std::move(built[k]));
}

Evaluator::~Evaluator() = default;

CaseResult Evaluator::evaluate(std::size_t i) const {
    const auto& c = scenario_.cases.at(i);
    const Shared& sh = *shared_;
    CaseResult out;
    out.scenario = scenario_.name;
    out.name = c.name;
    out.base_case = c.case_name;
    out.series = scenario::series_text(c);
    out.baseline = c.baseline;
    out.system_id = c.cluster.system_id;
    out.chip_id = c.cluster.chip->id;
    out.topology = c.cluster.topology ? c.cluster.topology->builder : std::string();
    out.cabinets = c.cluster.cabinets;
    out.aggregates = aggregate::compute_aggregates(c.cluster, c.cluster.topology ? &sh.networks.at(c.cluster.topology.get()) : nullptr,
                                                   c.cluster.topology ? &sh.costs.at(c.cluster.topology.get()) : nullptr);
    if (c.training || c.serving) {
        const auto& [cluster, error] = sh.training.at(Shared::key_of(c));
        if (c.training) {
            out.training = run_training(c, cluster.get(), error);
            if (c.reliability) out.reliability = run_reliability(c, *out.training, sh.job_networks.at(c.job_network.get()));
        }
        if (c.serving) out.serving = run_serving(c, cluster.get(), error);
    }
    if (c.economics) out.economics = run_economics(c, out);
    return out;
}

std::variant<train::KernelBreakdown, std::string> Evaluator::kernels(std::size_t i, const train::Plan& plan) const {
    const auto& c = scenario_.cases.at(i);
    if (!c.training) return "case '" + c.name + "' has no training job";
    const auto& [cluster, error] = shared_->training.at(Shared::key_of(c));
    if (!cluster) return error;
    auto r = train::kernel_breakdown(*c.training, plan, *cluster);
    if (auto* rej = std::get_if<train::Rejection>(&r)) return rej->reason;
    return std::get<train::KernelBreakdown>(std::move(r));
}

std::variant<std::vector<train::KernelRow>, std::string> Evaluator::kernels(std::size_t i, const serve::PhaseResult& phase) const {
    const auto& c = scenario_.cases.at(i);
    if (!c.serving) return "case '" + c.name + "' has no serving job";
    const auto& [cluster, error] = shared_->training.at(Shared::key_of(c));
    if (!cluster) return error;
    return serve::phase_kernels(*c.serving, phase, *cluster);
}

std::optional<double> training_tokens_per_s(const CaseResult& r) {
    return r.training && r.training->step ? std::optional<double>(r.training->step->tokens_per_s) : std::nullopt;
}

std::optional<double> serving_output_tokens_per_s(const CaseResult& r) {
    return r.serving && r.serving->result ? std::optional<double>(r.serving->result->output_tokens_per_s) : std::nullopt;
}

std::optional<double> goodput_tokens_per_s(const CaseResult& r) {
    return r.reliability && r.reliability->goodput_tokens_per_s > 0 ? std::optional<double>(r.reliability->goodput_tokens_per_s)
                                                                     : std::nullopt;
}

std::vector<std::optional<std::size_t>> baseline_indices(const scenario::Scenario& scenario) {
    std::map<std::string_view, std::size_t> index;
    for (std::size_t i = 0; i < scenario.cases.size(); ++i) index.emplace(scenario.cases[i].name, i);
    std::vector<std::optional<std::size_t>> out(scenario.cases.size());
    for (std::size_t i = 0; i < scenario.cases.size(); ++i) {
        const auto& b = scenario.cases[i].baseline;
        if (const auto it = index.find(b); !b.empty() && it != index.end()) out[i] = it->second;
    }
    return out;
}

RunResult run_scenario(const scenario::Scenario& scenario) {
    RunResult r;
    r.scenario = scenario.name;
    const std::size_t n = scenario.cases.size();
    std::vector<std::size_t> all(n);
    for (std::size_t i = 0; i < n; ++i) all[i] = i;
    Evaluator evaluator(scenario);
    evaluator.prepare(all);
    r.cases.resize(n);
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { r.cases[i] = evaluator.evaluate(i); });
    const auto baselines = baseline_indices(scenario);
    for (std::size_t i = 0; i < n; ++i) r.cases[i].baseline_index = baselines[i];
    return r;
}

namespace {

/// What a row's ratio columns need of its baseline: the result without the search's runners-up and
/// rejections (most of its size).
CaseResult baseline_view(const CaseResult& r) {
    CaseResult v = r;
    if (v.training) {
        v.training->runners_up.clear();
        v.training->rejected.clear();
    }
    return v;
}

}  // namespace

std::size_t stream_scenario(const scenario::Scenario& scenario, std::size_t begin, std::size_t end, const StreamHooks& hooks) {
    end = std::min(end, scenario.cases.size());
    if (begin >= end) return 0;
    const auto baselines = baseline_indices(scenario);
    // Each baseline's last row in the range: its result is kept from its first use to its last.
    std::map<std::size_t, std::size_t> last_use;
    for (std::size_t i = begin; i < end; ++i)
        if (baselines[i]) last_use[*baselines[i]] = i;
    std::map<std::size_t, CaseResult> kept;
    Evaluator evaluator(scenario);
    // Chunks big enough to keep every thread busy, small enough to bound memory and the work a
    // killed run loses.
    const std::size_t chunk = std::max<std::size_t>(16, 8 * static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()));
    std::vector<CaseResult> rows;
    std::size_t handed = 0;
    std::vector<std::size_t> missing;      // baselines to evaluate before a chunk
    std::vector<std::size_t> chunk_cases;  // the chunk's rows
    for (std::size_t first = begin; first < end; first += chunk) {
        const std::size_t last = std::min(end, first + chunk);
        // The baselines this chunk compares with that are neither kept nor rows of the chunk: first.
        missing.clear();
        for (std::size_t i = first; i < last; ++i) {
            const auto b = baselines[i];
            if (b && kept.count(*b) == 0 && (*b < first || *b >= last)) missing.push_back(*b);
        }
        std::sort(missing.begin(), missing.end());
        missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
        if (!missing.empty()) {
            evaluator.prepare(missing);
            std::vector<CaseResult> made(missing.size());
            tbb::parallel_for(std::size_t{0}, missing.size(), [&](std::size_t k) { made[k] = baseline_view(evaluator.evaluate(missing[k])); });
            for (std::size_t k = 0; k < missing.size(); ++k) kept.emplace(missing[k], std::move(made[k]));
        }
        chunk_cases.clear();
        for (std::size_t i = first; i < last; ++i) chunk_cases.push_back(i);
        evaluator.prepare(chunk_cases);
        rows.assign(last - first, CaseResult{});
        tbb::parallel_for(first, last, [&](std::size_t i) {
            rows[i - first] = evaluator.evaluate(i);
            if (hooks.case_done) hooks.case_done();
        });
        // Rows that later rows compare with stay until their last use.
        for (std::size_t i = first; i < last; ++i) {
            const auto it = last_use.find(i);
            if (it != last_use.end() && it->second >= first && kept.count(i) == 0) kept.emplace(i, baseline_view(rows[i - first]));
        }
        for (std::size_t i = first; i < last; ++i) {
            CaseResult& row = rows[i - first];
            row.baseline_index = baselines[i];
            ++handed;
            const CaseResult* base = baselines[i] ? &kept.at(*baselines[i]) : nullptr;
            if (!hooks.row(i, row, base)) {
                if (hooks.chunk_done) hooks.chunk_done();
                return handed;
            }
        }
        if (hooks.chunk_done) hooks.chunk_done();
        std::erase_if(kept, [&](const auto& kv) { return last_use.at(kv.first) < last; });
    }
    return handed;
}

}  // namespace clustersim::run
