#include "train/search.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <optional>
#include <variant>

namespace clustersim::train {
namespace {

std::vector<std::int64_t> powers_of_two_upto(std::int64_t limit) {
    std::vector<std::int64_t> out;
    for (std::int64_t v = 1; v <= limit; v *= 2) out.push_back(v);
    return out;
}

}  // namespace

SearchSpace default_space(const TrainingSpec& spec, const TrainingCluster& cluster) {
    const auto& w = *spec.workload;
    SearchSpace s;
    s.tp = powers_of_two_upto(std::min(cluster.scale_up_domain(), w.heads));
    // Divisors of the layers, and powers of two (uneven stages, as Llama 3 405B's 126 layers on 16).
    for (std::int64_t d = 1; d <= w.layers; ++d)
        if (w.layers % d == 0 || (d & (d - 1)) == 0) s.pp.push_back(d);
    s.cp = {1};
    for (std::int64_t cp = 2; spec.seq_len / cp >= 4096; cp *= 2) s.cp.push_back(cp);
    s.ep = w.moe ? powers_of_two_upto(w.moe->experts) : std::vector<std::int64_t>{1};
    s.virtual_stages = {1, 2, 4, 8};
    s.micro_batch = {1, 2, 4, 8};
    // Selective recomputation of the attention core, and of the cheap modules DeepSeek-V3 recomputes
    // (arXiv 2412.19437 section 3.2.3: every RMSNorm and the MLA up-projections; section 3.3.3: the
    // MoE SwiGLU's output), those the workload has.
    RecomputeModules cheap{RecomputeModule::layernorm};
    if (w.mla) cheap = cheap.with(RecomputeModule::mla_up_proj);
    if (w.moe) cheap = cheap.with(RecomputeModule::moe_act);
    s.recompute = {Recompute::none, Recompute::selective, Recompute::full, Recompute::selective_op,
                   Recomputation{Recompute::selective, cheap}};
    s.optimizer = {Optimizer::plain, Optimizer::zero1, Optimizer::zero2, Optimizer::zero3};
    return s;
}

std::vector<Plan> enumerate_plans(const SearchSpace& space, const TrainingSpec& spec, const TrainingCluster& cluster) {
    const std::int64_t n = cluster.chips();
    const auto& w = *spec.workload;
    std::vector<Plan> out;
    for (const auto tp : space.tp)
        for (const auto pp : space.pp)
            for (const auto cp : space.cp) {
                if (n % (tp * pp * cp) != 0) continue;
                const std::int64_t dp = n / (tp * pp * cp);
                for (const auto ep : space.ep) {
                    if (ep > 1 && dp % ep != 0) continue;
                    for (const auto v : space.virtual_stages) {
                        // Interleaving needs equal model chunks (Megatron-LM); without it, stages may differ by a layer.
                        if ((v > 1 && (pp == 1 || w.layers % (pp * v) != 0)) || pp > w.layers) continue;
                        for (const auto mb : space.micro_batch)
                            for (const auto rc : space.recompute)
                                for (const auto opt : space.optimizer) {
                                    Plan p;
                                    p.tp = tp;
                                    p.pp = pp;
                                    p.dp = dp;
                                    p.cp = cp;
                                    p.ep = ep;
                                    p.virtual_stages = v;
                                    p.micro_batch = mb;
                                    p.sequence_parallel = tp > 1;
                                    p.recompute = rc.granularity;
                                    p.recompute_modules = rc.modules;
                                    p.optimizer = opt;
                                    out.push_back(p);
                                }
                    }
                }
            }
    return out;
}

SearchResult search(const TrainingSpec& spec, const TrainingCluster& cluster, const SearchSpace& space, std::size_t keep) {
    std::vector<Plan> plans = enumerate_plans(space, spec, cluster);
    const std::size_t n = plans.size();

    // Pass 1, every plan with lower-bound collective costs (no graph work): validity, memory, and a
    // lower bound of each step time.
    std::vector<std::variant<StepResult, Rejection>> bound(n, Rejection{});
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
        bound[i] = evaluate(spec, plans[i], cluster, true, Fidelity::lower_bound);
        if (space.partial_recompute && plans[i].recompute == Recompute::full && bound[i].index() == 0) {
            const Plan fewer = fewest_recomputed_layers(spec, plans[i], cluster);
            if (fewer != plans[i]) {
                plans[i] = fewer;
                bound[i] = evaluate(spec, plans[i], cluster, true, Fidelity::lower_bound);
            }
        }
        if (const auto* rej = std::get_if<Rejection>(&bound[i]); space.offload && rej && rej->category == "memory") {
            const Plan offloading = fewest_offloaded_layers(spec, plans[i], cluster);
            if (offloading != plans[i]) {
                plans[i] = offloading;
                bound[i] = evaluate(spec, plans[i], cluster, true, Fidelity::lower_bound);
            }
        }
    });
    SearchResult out;
    out.evaluated = static_cast<std::int64_t>(n);
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < n; ++i) {
        if (const auto* rej = std::get_if<Rejection>(&bound[i])) {
            auto& r = out.rejected[rej->category];
            if (r.count++ == 0) r.example = rej->reason;
        } else {
            order.push_back(i);
        }
    }
    out.feasible = static_cast<std::int64_t>(order.size());
    auto lower = [&bound](std::size_t i) { return std::get<StepResult>(bound[i]).time.step_s; };
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return lower(a) < lower(b) || (lower(a) == lower(b) && a < b);
    });

    // Pass 2, branch and bound: exact costs in order of the lower bound, a fixed-size batch at a time
    // (in parallel), until the next plan's lower bound exceeds the keep-th best exact time. A plan left
    // out cannot rank: its exact time is at least its bound. Deterministic: which plans are evaluated
    // depends only on the values, never on the threads.
    constexpr std::size_t batch = 16;
    std::vector<std::pair<double, std::size_t>> ranked;  // (exact step time, enumeration index)
    std::vector<std::optional<StepResult>> exact(n);
    std::size_t next = 0;
    while (next < order.size()) {
        if (ranked.size() >= keep && keep > 0 && lower(order[next]) > ranked[keep - 1].first) break;
        const std::size_t end = std::min(order.size(), next + batch);
        tbb::parallel_for(next, end, [&](std::size_t k) {
            const std::size_t i = order[k];
            exact[i] = std::get<StepResult>(evaluate(spec, plans[i], cluster, true, Fidelity::exact));
        });
        for (std::size_t k = next; k < end; ++k) ranked.emplace_back(exact[order[k]]->time.step_s, order[k]);
        std::sort(ranked.begin(), ranked.end());
        next = end;
    }
    out.exact_evaluations = static_cast<std::int64_t>(next);
    for (std::size_t k = 0; k < std::min(keep, ranked.size()); ++k) out.best.push_back(std::move(*exact[ranked[k].second]));
    return out;
}

}  // namespace clustersim::train
