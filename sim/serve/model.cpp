#include "serve/model.hpp"

#include <fmt/format.h>

#include "units/format.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <stdexcept>

namespace clustersim::serve {
namespace {

using train::LayerKind;
using train::Rejection;

double d(std::int64_t x) { return static_cast<double>(x); }

/// Kernel times of a sequence of kernels, split by what bounds them.
struct KernelSum {
    double total = 0, compute = 0, memory = 0, overhead = 0;
    /// Adds `ops`; returns the time of the first `split` of them (each op costed once).
    double add(const chip::ChipModel& chip, const std::vector<chip::Operation>& ops, double times = 1.0,
               std::size_t split = 0) {
        double before = 0;
        for (std::size_t i = 0; i < ops.size(); ++i) {
            const chip::OpCost c = chip::cost(chip, ops[i]);
            total += times * c.time_s;
            overhead += times * c.overhead_s;
            (c.bound == chip::Bound::compute ? compute : memory) += times * (c.time_s - c.overhead_s);
            if (i < split) before += times * c.time_s;
        }
        return before;
    }
    void add(const KernelSum& o) {
        total += o.total;
        compute += o.compute;
        memory += o.memory;
        overhead += o.overhead;
    }
};

/// Accelerators of the chips that hold an instance's ranks: 0 .. chips - 1.
struct Placements {
    std::optional<comm::Placement> ep;  ///< expert all-to-all groups (chip level)
    std::optional<comm::Placement> tp;
    double ep_bytes_scale = 1;          ///< ranks per chip: a chip sends for each of its ranks
    /// An expert group over several scale-up domains: inside each domain, and across them by rail
    /// (the chips of the same index in every domain).
    std::optional<comm::Placement> ep_inner, ep_across;
};

Placements placements(const ServingPlan& p, std::int64_t domain) {
    Placements out;
    const std::int64_t ep_chips = p.ep / p.ranks_per_chip;
    if (p.ep > 1 && ep_chips > 1) {
        // ep = ranks: one group over the instance; ep x tp = ranks: the ranks of the same
        // tensor-parallel index exchange (stride tp).
        out.ep = p.ep == p.ranks() ? comm::Placement::contiguous(ep_chips, 1) : comm::Placement::strided(p.ep, p.tp, p.tp);
        out.ep_bytes_scale = d(p.ranks_per_chip);
        if (p.ep == p.ranks() && domain > 1 && ep_chips > domain && ep_chips % domain == 0) {
            out.ep_inner = comm::Placement::contiguous(domain, ep_chips / domain);
            out.ep_across = comm::Placement::strided(ep_chips / domain, domain, domain);
        }
    }
    if (p.tp > 1) out.tp = comm::Placement::contiguous(p.tp, p.chips / p.tp);
    return out;
}

std::int64_t average_context(const ServingSpec& s) { return s.prompt_tokens + s.output_tokens / 2; }

StepShape shape_of(const ServingSpec& spec, Phase phase, const ServingPlan& p) {
    StepShape s;
    s.phase = phase;
    s.sequences = p.batch;
    s.ranks = p.ranks();
    s.tp = p.tp;
    s.ep = p.ep;
    s.weights = spec.weights;
    s.block_scaled = spec.execution.fp8_block_scaled;
    s.kv_cache = spec.kv_cache;
    s.attention = spec.attention;
    s.expert_imbalance = spec.execution.expert_imbalance;
    s.shared_expert_ranks = p.shared_expert_ranks;
    s.dispatch = spec.execution.dispatch_bytes == 1 ? chip::DType::int8 : chip::DType::bf16;
    s.separate_quant = phase == Phase::prefill ? spec.execution.separate_activation_quant.prefill
                                               : spec.execution.separate_activation_quant.decode;
    if (phase == Phase::prefill) {
        s.query_tokens = spec.prompt_tokens;
        s.context = spec.prompt_tokens;
    } else {
        s.query_tokens = 1 + spec.speculation.draft_tokens;
        s.context = average_context(spec) + s.query_tokens;
    }
    return s;
}

/// Multi-token-prediction modules a speculating model holds: one (DeepSeek-V3 ships one MTP module;
/// SGLang and vLLM chain it for every draft token), none without speculation.
std::int64_t draft_modules(const ServingSpec& spec) { return spec.speculation.draft_tokens > 0 ? 1 : 0; }

/// The shape of a shared-expert rank (ServingPlan::shared_expert_ranks) running `s`.
StepShape shared_rank(StepShape s) {
    s.holds_shared_experts = true;
    return s;
}

Resource limiting(const StepTime& t) {
    const double comm = t.ep_comm_s + t.tp_comm_s;
    Resource r = Resource::compute;
    double most = t.compute_s;
    if (t.memory_s > most) r = Resource::hbm_bandwidth, most = t.memory_s;
    if (comm > most) r = Resource::network, most = comm;
    if (t.overhead_s > most) r = Resource::kernel_overhead;
    return r;
}

}  // namespace

std::string_view to_string(Resource r) {
    switch (r) {
        case Resource::compute: return "compute";
        case Resource::hbm_bandwidth: return "hbm_bandwidth";
        case Resource::network: return "network";
        case Resource::kernel_overhead: return "kernel_overhead";
    }
    return "?";
}

std::string_view to_string(BatchLimit b) {
    switch (b) {
        case BatchLimit::given: return "given";
        case BatchLimit::hbm_capacity: return "hbm_capacity";
        case BatchLimit::latency: return "latency";
        case BatchLimit::search_limit: return "search_limit";
        case BatchLimit::throughput_peak: return "throughput_peak";
    }
    return "?";
}

std::string_view to_string(Phase p) { return p == Phase::prefill ? "prefill" : "decode"; }

chip::ChipModel rank_chip(const chip::ChipModel& chip, std::int64_t ranks_per_chip) {
    chip::ChipModel r = chip;
    const double n = d(std::max<std::int64_t>(1, ranks_per_chip));
    for (double& peak : r.peak_flop_per_s) peak /= n;
    r.hbm_bytes_per_s /= n;
    r.compute_units = std::max(1.0, std::floor(r.compute_units / n));
    r.vector_flop_per_s /= n;
    return r;
}

double served_kv_bytes_per_token(const ServingSpec& spec, std::int64_t tp) {
    const auto& w = *spec.workload;
    const double layers = d(w.layers);
    return kv_bytes_per_token(w, tp, spec.kv_cache) * (layers + d(draft_modules(spec))) / layers;
}

ServingMemory rank_memory(const ServingSpec& spec, Phase phase, const ServingPlan& p) {
    const auto& w = *spec.workload;
    StepShape shape = shape_of(spec, phase, p);
    // Every buffer a dispatch path may need (the timed step's kernels are a subset): an upper bound.
    shape.expert_relayout = true;
    shape.permute_before_dispatch = true;
    ServingMemory m;
    const std::int64_t dense_layers = w.moe ? w.moe->dense_layers : w.layers;
    double last_layer = 0;  ///< the weights of one layer of the last kind (the draft module's)
    for (const LayerKind kind : {LayerKind::dense, LayerKind::moe}) {
        const std::int64_t count = kind == LayerKind::dense ? dense_layers : w.layers - dense_layers;
        if (kind == LayerKind::moe && !w.moe) continue;
        const LayerKernels k = layer_kernels(w, kind, shape);
        double weights = k.weight_bytes;
        m.activations = std::max(m.activations, activation_bytes(k.ops));
        if (kind == LayerKind::moe && p.shared_expert_ranks > 0) {
            // A rank holds the larger of the routed and the shared weight sets.
            const LayerKernels ks = layer_kernels(w, kind, shared_rank(shape));
            weights = std::max(weights, ks.weight_bytes);
            m.activations = std::max(m.activations, activation_bytes(ks.ops));
        }
        m.weights += d(count) * weights;
        if (count > 0) last_layer = weights;
    }
    const LayerKernels head = head_kernels(w, shape);
    m.weights += embedding_weight_bytes(w, p.tp) + head.weight_bytes;
    m.activations = std::max(m.activations, activation_bytes(head.ops));
    // The draft module (multi-token prediction, in both phases): one more layer of the last kind; it
    // shares the embedding and the output head.
    m.weights += d(draft_modules(spec)) * last_layer;
    const std::int64_t full_length = spec.prompt_tokens + (phase == Phase::decode ? spec.output_tokens : 0);
    m.kv_cache = d(p.batch) * d(full_length) * served_kv_bytes_per_token(spec, p.tp);
    return m;
}

double usable_hbm_bytes(const ServingSpec& spec, const ServingPlan& p, const train::TrainingCluster& cluster) {
    return cluster.hbm_bytes() / d(p.ranks_per_chip) * (1.0 - spec.execution.memory_reserve);
}

std::vector<Rejection> plan_problems(const ServingSpec& spec, Phase phase, const ServingPlan& p,
                                     const train::TrainingCluster& cluster) {
    std::vector<Rejection> out;
    auto reject = [&out](std::string category, std::string reason) { out.push_back({std::move(category), std::move(reason)}); };
    const auto& w = *spec.workload;
    const std::string_view name = to_string(phase);
    if (p.chips < 1 || p.ranks_per_chip < 1 || p.tp < 1 || p.ep < 1 || p.batch < 0 || p.shared_expert_ranks < 0) {
        reject("shape", fmt::format("{}: every degree must be at least 1 (the batch and shared_expert_ranks at least 0)", name));
        return out;
    }
    if (p.chips > cluster.chips())
        reject("shape", fmt::format("the {} instance needs {} chips, the cluster has {}", name, p.chips, cluster.chips()));
    const std::int64_t ranks = p.ranks();
    if (ranks % p.tp != 0) reject("tensor", fmt::format("{}: tp {} does not divide the {} ranks", name, p.tp, ranks));
    if (p.tp > 1 && p.ranks_per_chip > 1)
        reject("tensor", fmt::format("{}: tensor parallelism across the {} ranks of a chip is not modelled; use tp 1 (attention data parallel)",
                                     name, p.ranks_per_chip));
    if (p.tp > 1 && w.heads % p.tp != 0) reject("tensor", fmt::format("{}: tp {} does not divide the {} heads", name, p.tp, w.heads));
    if (p.ep > 1) {
        if (!w.moe) {
            reject("expert", fmt::format("{}: ep > 1 needs a mixture-of-experts workload", name));
        } else if (p.ep != ranks && p.ep * p.tp != ranks) {
            reject("expert", fmt::format("{}: ep {} must equal the {} ranks (experts whole) or ranks / tp = {} (experts split like the tensor-parallel layers)",
                                         name, p.ep, ranks, ranks / p.tp));
        } else if (p.ep % p.ranks_per_chip != 0) {
            reject("expert", fmt::format("{}: ep {} is not a whole number of chips of {} ranks", name, p.ep, p.ranks_per_chip));
        }
        if (p.shared_expert_ranks > 0) {
            if (!w.moe || w.moe->shared_experts == 0) {
                reject("expert", fmt::format("{}: shared_expert_ranks needs a workload with shared experts", name));
            } else if (p.ep != ranks) {
                reject("expert", fmt::format("{}: shared_expert_ranks needs whole experts: ep {} must equal the {} ranks", name, p.ep, ranks));
            } else if (p.shared_expert_ranks >= p.ep) {
                reject("expert", fmt::format("{}: shared_expert_ranks {} leaves none of the {} expert ranks for the routed experts", name,
                                             p.shared_expert_ranks, p.ep));
            }
        }
    } else if (p.shared_expert_ranks > 0) {
        reject("expert", fmt::format("{}: shared_expert_ranks needs expert parallelism (ep > 1)", name));
    } else if (w.moe && p.tp != ranks) {
        reject("expert", fmt::format("{}: with ep 1 every rank holds every expert split {} ways: tp must equal the {} ranks", name,
                                     ranks, ranks));
    }
    if (!cluster.chip().supports(spec.weights))
        reject("precision", fmt::format("{} has no {} peak", cluster.chip().id, chip::to_string(spec.weights)));
    if (!cluster.chip().supports(spec.attention))
        reject("precision", fmt::format("{} has no {} peak for attention", cluster.chip().id, chip::to_string(spec.attention)));
    return out;
}

namespace {

/// One layer kind of one micro-batch: its kernels and the communication after them.
struct LayerCost {
    KernelSum kernels;
    std::vector<chip::Operation> ops;  ///< the kernels costed (the slower rank's where shared-expert ranks differ)
    double before_dispatch_s = 0;  ///< of kernels.total, the kernels before the dispatch (LayerKernels::dispatch_at)
    double dispatch_s = 0, combine_s = 0;  ///< the expert exchange (MoE layers)
    double tp_s = 0;  ///< the two tensor-parallel all-reduces
    [[nodiscard]] double ep_s() const { return dispatch_s + combine_s; }
};

/// What the layers of one step cost on one rank, per layer kind, for `sequences` sequences.
struct MicroBatch {
    LayerCost dense, moe;
    KernelSum edges;  ///< embedding and head
    std::vector<chip::Operation> embedding, head;  ///< their kernels
    /// Compute units the collective libraries hold while the layers' collectives run (a fraction,
    /// train::TrainingCluster::comm_compute_share of the levels they use).
    double comm_share = 0;
};

MicroBatch micro_batch(const ServingSpec& spec, Phase phase, const ServingPlan& p, std::int64_t sequences,
                       const chip::ChipModel& chip, const train::TrainingCluster& cluster, PhaseResult& r) {
    const auto& w = *spec.workload;
    ServingPlan mp = p;
    mp.batch = sequences;
    StepShape shape = shape_of(spec, phase, mp);
    const double tokens = d(shape.tokens());
    // Collectives of one layer, every group of the instance at once.
    const Placements pl = placements(p, cluster.scale_up_domain());
    double tp_s = 0, dispatch_s = 0, combine_s = 0, share = 0;
    if (pl.tp) {
        share = std::max(share, cluster.comm_compute_share(*pl.tp));
        const auto ar = cluster.collective(comm::Collective::all_reduce, *pl.tp, tokens * d(w.hidden) * 2.0);
        tp_s = 2.0 * ar.time_s;  // after attention and after the MLP (Megatron-LM)
        r.tp_algorithm = ar.algorithm;
        r.tp_bottleneck = ar.bottleneck;
    }
    // Experts split over the ranks of one chip (ep = ranks_per_chip): no exchange on the graph, but the
    // rows still cross between its dies in arrival order.
    if (p.ep > 1 && !pl.ep && w.moe) set_dispatch_layout(shape, false, false);
    if (pl.ep && w.moe) {
        // Each token goes to its top-k experts, and to a shared-expert rank when they have their own.
        // The most loaded routed rank receives expert_imbalance times the mean of the routed copies in
        // the dispatch and returns as much in the combine (the shared experts' copies stay balanced);
        // the exchange, bound by each rank's own links, runs at its pace (taken for every rank:
        // pessimistic where the fabric's shared tiers, not the ranks' links, bind).
        const double hot = spec.execution.expert_imbalance;
        const double k = hot * d(w.moe->top_k) + (p.shared_expert_ranks > 0 ? 1.0 : 0.0);
        const double routed = tokens * k * d(w.hidden) * pl.ep_bytes_scale;
        // The expert-dispatch library where the network has one (CloudMatrix's FusedDispatch): the
        // one_sided algorithm; else the collective library's all-to-all.
        const auto dispatch =
            cluster.collective(comm::Collective::all_to_all, *pl.ep, routed * spec.execution.dispatch_bytes, "one_sided");
        const auto combine = cluster.collective(comm::Collective::all_to_all, *pl.ep, routed * 2.0, "one_sided");
        dispatch_s = dispatch.time_s;
        combine_s = combine.time_s;
        r.ep_algorithm = combine.algorithm;
        r.ep_bottleneck = combine.bottleneck;
        // The compute units the dispatch library's kernels hold (DeepEP: 24 SMs for its normal kernels,
        // none for its low-latency ones in flight); the collective library's where it is not used. The
        // flat one-sided path runs the normal kernels in prefill inside one scale-up domain (DeepEP's
        // intranode kernels, whose rate the NVLink library carries) and the low-latency kernels
        // otherwise (whose rates the scale-out library carries); the hierarchical path below is the
        // normal kernels across domains.
        const auto kernels = phase == Phase::prefill && cluster.within_scale_up(*pl.ep)
                                 ? train::TrainingCluster::DispatchKernels::normal
                                 : train::TrainingCluster::DispatchKernels::low_latency;
        double ep_share = combine.algorithm == "one_sided" ? cluster.dispatch_compute_share(*pl.ep, kernels)
                                                           : cluster.comm_compute_share(*pl.ep);
        set_dispatch_layout(shape, combine.algorithm == "one_sided", kernels == train::TrainingCluster::DispatchKernels::low_latency);
        if (phase == Phase::prefill && pl.ep_inner && p.shared_expert_ranks == 0) {
            // Prefill across scale-up domains: DeepEP's normal mode where faster (train::hierarchical_dispatch;
            // decode uses its low-latency mode, direct RDMA writes to every expert rank, the flat
            // all-to-all above). Its domain count is of the routed experts: with shared-expert ranks
            // of their own the flat path is kept.
            const auto split =
                train::hierarchical_dispatch(hot * d(w.hidden) * tokens * pl.ep_bytes_scale, *w.moe, pl.ep_across->group_size());
            const double across = split.across_bytes;
            auto two_stage = [&](double bytes_per_element) {
                return cluster.collective(comm::Collective::all_to_all, *pl.ep_across, across * bytes_per_element).time_s +
                       cluster.collective(comm::Collective::all_to_all, *pl.ep_inner, split.inside_bytes * bytes_per_element).time_s;
            };
            const double hierarchical_dispatch_s = two_stage(spec.execution.dispatch_bytes);
            const double hierarchical_combine_s = two_stage(2.0);
            if (hierarchical_dispatch_s + hierarchical_combine_s < dispatch_s + combine_s) {
                dispatch_s = hierarchical_dispatch_s;
                combine_s = hierarchical_combine_s;
                r.ep_algorithm = "hierarchical_dispatch";
                r.ep_bottleneck = cluster.collective(comm::Collective::all_to_all, *pl.ep_across, across * 2.0).bottleneck;
                ep_share = cluster.dispatch_compute_share(*pl.ep, train::TrainingCluster::DispatchKernels::normal);
                set_dispatch_layout(shape, true, false);
            }
        }
        share = std::max(share, ep_share);
    }
    MicroBatch mb;
    mb.comm_share = share;
    for (const LayerKind kind : {LayerKind::dense, LayerKind::moe}) {
        if (kind == LayerKind::moe && !w.moe) continue;
        LayerCost& c = kind == LayerKind::dense ? mb.dense : mb.moe;
        LayerKernels k = layer_kernels(w, kind, shape);
        c.before_dispatch_s = c.kernels.add(chip, k.ops, 1.0, k.dispatch_at);
        c.ops = std::move(k.ops);
        if (kind == LayerKind::moe) c.dispatch_s = dispatch_s, c.combine_s = combine_s;
        c.tp_s = tp_s;
        if (kind == LayerKind::moe && p.shared_expert_ranks > 0) {
            // The shared-expert ranks run the same layer with the shared experts in place of routed
            // slots; the combine waits for both, so the layer takes the slower rank's kernels.
            LayerKernels sk = layer_kernels(w, kind, shared_rank(shape));
            KernelSum shared;
            const double shared_before_s = shared.add(chip, sk.ops, 1.0, sk.dispatch_at);
            if (shared.total > c.kernels.total) c.kernels = shared, c.before_dispatch_s = shared_before_s, c.ops = std::move(sk.ops);
        }
    }
    mb.embedding = embedding_kernels(w, shape).ops;
    mb.head = head_kernels(w, shape).ops;
    mb.edges.add(chip, mb.embedding);
    mb.edges.add(chip, mb.head);
    return mb;
}

/// Appends `ops` to `rows`, each run `calls` times per step, as part `part` of pass `pass`.
void list_kernels(std::vector<train::KernelRow>& rows, std::string_view part, std::string_view pass,
                  const std::vector<chip::Operation>& ops, double calls, const chip::ChipModel& chip) {
    for (std::size_t i = 0; i < ops.size(); ++i) rows.push_back({part, pass, i, ops[i], chip::cost(chip, ops[i]), calls});
}

/// One step of `p`, its batch in one piece or (split) as two micro-batches; with `rows`, every kernel it costs
/// (phase_kernels).
PhaseResult schedule(const ServingSpec& spec, Phase phase, const ServingPlan& p, const train::TrainingCluster& cluster,
                     const chip::ChipModel& chip, bool split, std::vector<train::KernelRow>* rows = nullptr) {
    const auto& w = *spec.workload;
    PhaseResult r;
    r.phase = phase;
    r.plan = p;
    r.overlapped = split;

    std::vector<MicroBatch> mbs;
    if (split) {
        mbs.push_back(micro_batch(spec, phase, p, (p.batch + 1) / 2, chip, cluster, r));
        mbs.push_back(micro_batch(spec, phase, p, p.batch / 2, chip, cluster, r));
    } else {
        mbs.push_back(micro_batch(spec, phase, p, p.batch, chip, cluster, r));
    }

    KernelSum kernels;
    static constexpr std::array<std::string_view, 2> halves{"micro_batch_1", "micro_batch_2"};
    auto pass_of = [&](std::size_t mb) { return split ? halves.at(mb) : std::string_view("whole_batch"); };
    auto add_layers = [&](LayerCost MicroBatch::*kind, std::int64_t count) {
        if (count == 0) return;
        if (rows) {
            for (std::size_t j = 0; j < mbs.size(); ++j)
                list_kernels(*rows, kind == &MicroBatch::moe ? "moe_layer" : "layer", pass_of(j), (mbs[j].*kind).ops, d(count), chip);
        }
        KernelSum one;
        double ep_s = 0, tp_s = 0;
        for (const MicroBatch& mb : mbs) {
            one.add((mb.*kind).kernels);
            ep_s += (mb.*kind).ep_s();
            tp_s += (mb.*kind).tp_s;
        }
        const double comm_s = ep_s + tp_s;
        const double f = mbs.front().comm_share;
        double exposed = comm_s;
        if (split && ep_s > 0) {
            // A MoE layer's stages paired with the other micro-batch's exchanges; the tensor-parallel
            // all-reduces go with the exchanges after attention and after the experts.
            auto stages = [](const LayerCost& c) {
                return MoeLayerStages{c.before_dispatch_s, c.kernels.total - c.before_dispatch_s, c.dispatch_s + c.tp_s / 2,
                                      c.combine_s + c.tp_s / 2};
            };
            exposed = two_batch_exposed(stages(mbs.front().*kind), stages(mbs.back().*kind), f);
        } else if (split) {
            exposed = train::exposed(comm_s, one.total, f);
        }
        const double share = comm_s > 0 ? exposed / comm_s : 0.0;
        const double n = d(count);
        r.time.ep_comm_s += n * ep_s * share;
        r.time.tp_comm_s += n * tp_s * share;
        kernels.total += n * one.total;
        kernels.compute += n * one.compute;
        kernels.memory += n * one.memory;
        kernels.overhead += n * one.overhead;
    };
    const std::int64_t dense_layers = w.moe ? w.moe->dense_layers : w.layers;
    // Prefill also runs the multi-token-prediction module (one layer of the last kind) over every
    // prompt token: the draft steps of decode attend to its KV cache.
    const std::int64_t mtp = phase == Phase::prefill ? draft_modules(spec) : 0;
    const bool moe_last = w.moe && w.layers > dense_layers;
    add_layers(&MicroBatch::dense, dense_layers + (moe_last ? 0 : mtp));
    add_layers(&MicroBatch::moe, w.layers - dense_layers + (moe_last ? mtp : 0));
    for (std::size_t j = 0; j < mbs.size(); ++j) {
        kernels.add(mbs[j].edges);
        if (!rows) continue;
        list_kernels(*rows, "embedding", pass_of(j), mbs[j].embedding, 1.0, chip);
        list_kernels(*rows, "head", pass_of(j), mbs[j].head, 1.0, chip);
    }

    // Draft tokens (DeepSeek-V3's multi-token prediction module: one more layer of the last kind,
    // its communication included, and the embedding and output head, run once per draft token on
    // one token per sequence).
    if (phase == Phase::decode && spec.speculation.draft_tokens > 0) {
        ServingSpec one_token = spec;
        one_token.speculation = {};
        const MicroBatch draft = micro_batch(one_token, phase, p, p.batch, chip, cluster, r);
        const LayerCost& layer = moe_last ? draft.moe : draft.dense;
        const double n = d(spec.speculation.draft_tokens);
        KernelSum ds = layer.kernels;
        ds.add(draft.edges);
        if (rows) {
            list_kernels(*rows, moe_last ? "moe_layer" : "layer", "draft", layer.ops, n, chip);
            list_kernels(*rows, "embedding", "draft", draft.embedding, n, chip);
            list_kernels(*rows, "head", "draft", draft.head, n, chip);
        }
        ds.total *= n, ds.compute *= n, ds.memory *= n, ds.overhead *= n;
        r.time.draft_s = ds.total + n * (layer.ep_s() + layer.tp_s);
        r.time.ep_comm_s += n * layer.ep_s();
        r.time.tp_comm_s += n * layer.tp_s;
        kernels.add(ds);
    }

    r.time.kernels_s = kernels.total;
    r.time.compute_s = kernels.compute;
    r.time.memory_s = kernels.memory;
    r.time.overhead_s = kernels.overhead;
    r.time.step_s = kernels.total + r.time.ep_comm_s + r.time.tp_comm_s;
    r.limiting_resource = limiting(r.time);


    // The tp ranks of an attention data-parallel group share its batch: ranks / tp groups on
    // chips chips, ranks_per_chip / tp groups per chip.
    const double per_group = d(p.batch) * (phase == Phase::prefill ? d(spec.prompt_tokens) : spec.speculation.tokens_per_step());
    r.tokens_per_s_per_chip = per_group * d(p.ranks_per_chip) / d(p.tp) / r.time.step_s;
    r.latency_s = phase == Phase::prefill ? r.time.step_s : r.time.step_s / spec.speculation.tokens_per_step();
    return r;
}

}  // namespace

double two_batch_exposed(const MoeLayerStages& a, const MoeLayerStages& b, double share) {
    return train::exposed(a.dispatch_s, b.before_dispatch_s, share) + train::exposed(b.dispatch_s, a.after_dispatch_s, share) +
           train::exposed(a.combine_s, b.after_dispatch_s, share) + train::exposed(b.combine_s, a.before_dispatch_s, share);
}

std::variant<PhaseResult, Rejection> evaluate(const ServingSpec& spec, Phase phase, const ServingPlan& p,
                                              const train::TrainingCluster& cluster) {
    if (auto problems = plan_problems(spec, phase, p, cluster); !problems.empty()) return problems.front();
    if (p.batch < 1) return Rejection{"batch", fmt::format("{}: the batch must be at least 1 sequence per rank", to_string(phase))};
    const chip::ChipModel chip = rank_chip(cluster.chip(), p.ranks_per_chip);

    // Overlap (two-batch overlap): the batch runs as two micro-batches, one's communication under
    // the other's kernels, stage by stage in a MoE layer (schedule: each exchange under the other
    // micro-batch's next stage), each pair taking max(comm, kernels + f comm) (train::exposed: the
    // collective library's share f of the compute units slows the kernels it overlaps). The
    // kernels run at half the batch each: weights are read twice, which is why overlap gains little
    // in weight-bound decode (CloudMatrix-Infer measures +6 to +9 %) and much in prefill (+23 to
    // 31 %). The runtime keeps whichever schedule is faster (SGLang turns two-batch overlap off for
    // small batches, where it loses).
    PhaseResult run = schedule(spec, phase, p, cluster, chip, false);
    if (spec.execution.overlap_comm && p.batch >= 2) {
        PhaseResult split = schedule(spec, phase, p, cluster, chip, true);
        if (split.time.step_s < run.time.step_s) run = std::move(split);
    }
    // What the rank holds does not depend on the schedule (rank_memory): computed once.
    run.memory = rank_memory(spec, phase, p);
    run.usable_hbm_bytes = usable_hbm_bytes(spec, p, cluster);
    return run;
}

std::variant<PhaseResult, Rejection> best(const ServingSpec& spec, Phase phase, const ServingPlan& plan,
                                          const train::TrainingCluster& cluster) {
    const auto limit = phase == Phase::prefill ? spec.ttft_limit_s : spec.tpot_limit_s;
    const double usable = usable_hbm_bytes(spec, plan, cluster);
    auto fits = [&](const ServingPlan& p) { return rank_memory(spec, phase, p).total() <= usable; };
    if (plan.batch > 0) {
        auto r = evaluate(spec, phase, plan, cluster);
        if (auto* ok = std::get_if<PhaseResult>(&r)) {
            ok->batch_limit = BatchLimit::given;
            ServingPlan one = plan;
            for (one.batch = 1; one.batch <= max_search_batch && fits(one); ++one.batch) {
            }
            ok->max_batch = one.batch - 1;
        }
        return r;
    }
    if (auto problems = plan_problems(spec, phase, plan, cluster); !problems.empty()) return problems.front();
    // Every batch from 1 until HBM is full: the step time need not be monotone in the batch (tile
    // and wave quantisation), so the best is the maximum over all that fit and meet the limit. A
    // looser limit admits a superset: the throughput never decreases when the limit is relaxed.
    std::optional<PhaseResult> top;
    std::int64_t largest_fit = 0;
    double fastest_s = 0;  ///< the latency at batch 1
    bool missed_limit_after_top = false;
    ServingPlan p = plan;
    for (p.batch = 1; p.batch <= max_search_batch; ++p.batch) {
        if (!fits(p)) break;
        auto r = evaluate(spec, phase, p, cluster);
        if (auto* rej = std::get_if<Rejection>(&r)) return *rej;
        const PhaseResult& pr = std::get<PhaseResult>(r);
        largest_fit = p.batch;
        if (p.batch == 1) fastest_s = pr.latency_s;
        if (limit && pr.latency_s > *limit) {
            if (top) missed_limit_after_top = true;
            continue;
        }
        if (!top || pr.tokens_per_s_per_chip > top->tokens_per_s_per_chip) {
            top = pr;
            missed_limit_after_top = false;
        }
    }
    if (!top) {
        if (largest_fit == 0) {
            ServingPlan single = plan;
            single.batch = 1;
            return Rejection{"memory", fmt::format("{}: one sequence per rank does not fit: it needs {} of HBM per rank, {} usable",
                                                   to_string(phase),
                                                   units::format_si(rank_memory(spec, phase, single).total(), units::Dimension::data),
                                                   units::format_si(usable, units::Dimension::data))};
        }
        return Rejection{"latency", fmt::format("{}: no batch meets the {} limit of {} (one sequence per rank takes {})",
                                                to_string(phase), phase == Phase::prefill ? "time-to-first-token" : "time-per-output-token",
                                                units::format_si(*limit, units::Dimension::time),
                                                units::format_si(fastest_s, units::Dimension::time))};
    }
    top->max_batch = largest_fit;
    if (top->plan.batch == largest_fit) {
        top->batch_limit = largest_fit == max_search_batch ? BatchLimit::search_limit : BatchLimit::hbm_capacity;
    } else {
        top->batch_limit = missed_limit_after_top ? BatchLimit::latency : BatchLimit::throughput_peak;
    }
    return *top;
}

std::variant<ServingResult, Rejection> serve(const ServingSpec& spec, const train::TrainingCluster& cluster) {
    ServingResult out;
    auto pre = best(spec, Phase::prefill, spec.prefill, cluster);
    if (auto* rej = std::get_if<Rejection>(&pre)) return *rej;
    auto dec = best(spec, Phase::decode, spec.decode, cluster);
    if (auto* rej = std::get_if<Rejection>(&dec)) return *rej;
    out.prefill = std::get<PhaseResult>(pre);
    out.decode = std::get<PhaseResult>(dec);

    // Disaggregated: one prefill rank's batch of KV cache goes to the decode instance, placed on
    // the chips after the prefill instance's (a send on the graph from chip 0 to that chip).
    if (spec.execution.disaggregated && spec.prefill.chips < cluster.chips()) {
        const double bytes = d(out.prefill.plan.batch) * d(spec.prompt_tokens) *
                             served_kv_bytes_per_token(spec, spec.prefill.tp) * d(spec.prefill.ranks_per_chip);
        const auto pl = comm::Placement::explicit_groups({{0, static_cast<topo::NodeId>(spec.prefill.chips)}});
        out.kv_transfer_s = cluster.collective(comm::Collective::send_recv, pl, bytes).time_s;
    }
    out.ttft_s = out.prefill.latency_s + out.kv_transfer_s;
    out.tpot_s = out.decode.latency_s;

    const double prefill_chip_s = d(spec.prompt_tokens) / out.prefill.tokens_per_s_per_chip;
    const double decode_chip_s = d(spec.output_tokens) / out.decode.tokens_per_s_per_chip;
    const double per_request = prefill_chip_s + decode_chip_s;
    out.prefill_chip_share = prefill_chip_s / per_request;
    out.requests_per_s = d(cluster.chips()) / per_request;
    out.output_tokens_per_s = out.requests_per_s * d(spec.output_tokens);
    out.output_tokens_per_s_per_chip = out.output_tokens_per_s / d(cluster.chips());
    return out;
}

std::vector<train::KernelRow> phase_kernels(const ServingSpec& spec, const PhaseResult& phase, const train::TrainingCluster& cluster) {
    std::vector<train::KernelRow> rows;
    schedule(spec, phase.phase, phase.plan, cluster, rank_chip(cluster.chip(), phase.plan.ranks_per_chip), phase.overlapped, &rows);
    return rows;
}

double predict(const train::Measurement& m, const ServingResult& r) {
    switch (m.metric) {
        case train::Metric::prefill_tokens_per_s_per_chip: return r.prefill.tokens_per_s_per_chip;
        case train::Metric::decode_tokens_per_s_per_chip: return r.decode.tokens_per_s_per_chip;
        case train::Metric::tpot: return r.tpot_s;
        case train::Metric::ttft: return r.ttft_s;
        default: throw std::invalid_argument("measurement: " + std::string(train::to_string(m.metric)) + " is not a serving metric");
    }
}

}  // namespace clustersim::serve
