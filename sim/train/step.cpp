#include "train/step.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "chip/transformer_layer.hpp"
#include "comm/collective.hpp"
#include "comm/placement.hpp"

namespace clustersim::train {

TrainingCluster::TrainingCluster(chip::ChipModel chip, double hbm_bytes, std::int64_t chips,
                                 std::shared_ptr<const topo::Topology> topology, comm::CostModel cost,
                                 std::optional<double> host_bytes)
    : chip_(std::move(chip)),
      hbm_bytes_(hbm_bytes),
      host_bytes_(host_bytes),
      chips_(chips),
      topology_(std::move(topology)),
      comm_(*topology_, std::move(cost)) {
    if (chips_ < 1 || static_cast<std::uint64_t>(chips_) > topology_->accelerator_count())
        throw std::invalid_argument(fmt::format("training cluster: {} chips on a topology of {} accelerators", chips_,
                                                topology_->accelerator_count()));
    domain_ = topology_->levels().empty() ? 1 : std::max<std::int64_t>(1, topology_->levels().front().group_size);
    for (std::int64_t a = 0; a < chips_; ++a) {
        double bw = 0;
        const auto v = static_cast<topo::NodeId>(a);
        for (auto l = topology_->out_begin(v); l < topology_->out_end(v); ++l) bw += topology_->bandwidth(l).si();
        injection_Bps_ = std::max(injection_Bps_, bw);
    }
    launch_s_ = comm_.fabric().cost().launch_latency.si();
    std::int64_t busy = 0;
    for (std::size_t l = 0; l < topology_->levels().size(); ++l) {
        busy = std::max(busy, comm_.fabric().cost().level(l).compute_units_busy);
        if (l == 0 && chip_.compute_units > 0)
            domain_share_ = std::min(1.0, static_cast<double>(busy) / chip_.compute_units);
    }
    if (chip_.compute_units > 0) comm_share_ = std::min(1.0, static_cast<double>(busy) / chip_.compute_units);
}

namespace {
// Every group inside one scale-up domain: all groups in the first domain, or strided groups whose
// period (p x stride) tiles the domain.
bool inside_domain(const comm::Placement& placement, std::int64_t domain) {
    return placement.extent() <= static_cast<topo::NodeId>(domain) ||
           (placement.is_strided() && placement.offset() % domain == 0 && domain % placement.period() == 0);
}
}  // namespace

double TrainingCluster::comm_compute_share(const comm::Placement& placement) const {
    return inside_domain(placement, domain_) ? domain_share_ : comm_share_;
}

bool TrainingCluster::within_scale_up(const comm::Placement& placement) const { return inside_domain(placement, domain_); }

double TrainingCluster::dispatch_compute_share(const comm::Placement& placement, DispatchKernels kernels) const {
    if (chip_.compute_units <= 0) return 0.0;
    const std::size_t levels = inside_domain(placement, domain_) ? std::min<std::size_t>(1, topology_->levels().size())
                                                                 : topology_->levels().size();
    std::int64_t busy = 0;
    for (std::size_t l = 0; l < levels; ++l) {
        const comm::LevelCost& c = comm_.fabric().cost().level(l);
        const auto& lib = c.one_sided;
        busy = std::max(busy, !lib ? c.compute_units_busy
                                   : kernels == DispatchKernels::low_latency ? lib->low_latency_units_busy
                                                                            : lib->normal_units_busy);
    }
    return std::min(1.0, static_cast<double>(busy) / chip_.compute_units);
}

TrainingCluster::Cost TrainingCluster::collective_bound(comm::Collective kind, const comm::Placement& placement,
                                                        double bytes) const {
    const auto p = static_cast<double>(placement.group_size());
    if (placement.group_size() == 1) return {launch_s_, {}, {}};
    // Whatever the algorithm (in-network reduction included), each rank sends at least (p - 1)/p of
    // the buffer (send/recv: all of it) through its own links, at most at their line rate.
    const double share = kind == comm::Collective::send_recv ? 1.0 : (p - 1) / p;
    return {launch_s_ + share * bytes / injection_Bps_, {}, {}};
}

namespace {
/// The expected domains `picks` distinct items of `items` spread evenly over `domains` fall in:
/// D (1 − C(n − n/D, k) / C(n, k)), the product form of the binomial ratio.
double domains_reached(double items, double domains, std::int64_t picks) {
    double none = 1;
    for (std::int64_t i = 0; i < picks; ++i)
        none *= std::max(0.0, items - items / domains - static_cast<double>(i)) / (items - static_cast<double>(i));
    return domains * (1.0 - none);
}
}  // namespace

HierarchicalDispatch hierarchical_dispatch(double token_bytes, const catalog::MoeSpec& moe, std::int64_t domains) {
    const auto d = [](std::int64_t x) { return static_cast<double>(x); };
    double reached = domains_reached(d(moe.experts), d(domains), moe.top_k);
    if (moe.expert_groups > 1 && moe.expert_groups % domains == 0) {
        reached = domains_reached(d(moe.expert_groups), d(domains), moe.groups_per_token);
    } else if (moe.expert_groups > 1 && domains % moe.expert_groups == 0) {
        const std::int64_t g = moe.groups_per_token;
        reached = domains_reached(d(g * moe.experts / moe.expert_groups), d(g * domains / moe.expert_groups), moe.top_k);
    }
    return {token_bytes * reached, token_bytes * d(moe.top_k)};
}

double exposed(double comm_s, double compute_s, double share) { return std::max(comm_s - compute_s, share * comm_s); }

TrainingCluster::Cost TrainingCluster::collective(comm::Collective kind, const comm::Placement& placement, double bytes,
                                                  std::string_view prefer) const {
    const bool reduction = kind == comm::Collective::all_reduce || kind == comm::Collective::reduce_scatter ||
                           kind == comm::Collective::all_gather;
    const std::vector<comm::Collective> family =
        reduction ? std::vector<comm::Collective>{comm::Collective::all_reduce, comm::Collective::reduce_scatter,
                                                  comm::Collective::all_gather}
                  : std::vector<comm::Collective>{kind};
    const Key key{reduction ? -1 : static_cast<int>(kind), placement.group_size(), placement.stride(), placement.group_count()};
    std::shared_ptr<Entry> entry;
    {
        const std::lock_guard lock(mutex_);
        auto& slot = curves_[key];
        if (!slot) slot = std::make_shared<Entry>();
        entry = slot;
    }
    // Each entry is computed once, outside the map's lock (other keys proceed meanwhile).
    std::call_once(entry->once, [&] {
        entry->kinds = family;
        entry->curves = comm_.curves(placement, family);
    });
    const auto at = std::find(entry->kinds.begin(), entry->kinds.end(), kind);
    const comm::CostCurve* curve = &entry->curves[static_cast<std::size_t>(at - entry->kinds.begin())];
    Cost c;
    c.time_s = curve->time_s(bytes);
    if (const auto* line = prefer.empty() ? curve->best(bytes) : curve->preferred(prefer, bytes)) {
        c.time_s = line->latency_s + bytes * line->seconds_per_byte;
        c.algorithm = line->algorithm;
        c.bottleneck = line->bottleneck;
    }
    return c;
}

namespace {

constexpr double activation_bytes = 2;  // activations and parameters exchanged in 16-bit, also under FP8 matmuls

/// The groups of each parallel dimension on the accelerators 0..chips-1: rank index
/// = mixed radix over the execution order (first entry fastest).
struct Groups {
    comm::Placement tp, cp, dp, pp, ep;
    comm::Placement dense_grad;   ///< replicas of dense parameters: dp x cp
    comm::Placement expert_grad;  ///< replicas of expert parameters: dp x cp / ep
};

std::int64_t degree(const Plan& p, const std::string& dim) {
    if (dim == "tp") return p.tp;
    if (dim == "cp") return p.cp;
    if (dim == "dp") return p.dp;
    if (dim == "pp") return p.pp;
    return 1;  // "ep" lives inside dp
}

Groups make_groups(const Plan& p, const Execution& e) {
    const std::int64_t n = p.chips();
    std::map<std::string, std::int64_t> stride;
    std::int64_t s = 1;
    std::string previous;
    bool cp_before_dp = false;
    for (const auto& dim : e.order) {
        if (dim == "ep") continue;
        stride[dim] = s;
        if (dim == "dp") cp_before_dp = previous == "cp";
        s *= degree(p, dim);
        previous = dim;
    }
    auto tiled = [n](std::int64_t size, std::int64_t st) { return comm::Placement::tiled(n, size, st); };
    Groups g{tiled(p.tp, stride["tp"]), tiled(p.cp, stride["cp"]), tiled(p.dp, stride["dp"]),
             tiled(p.pp, stride["pp"]),  tiled(p.ep, stride["dp"]), tiled(p.dp, stride["dp"]),
             tiled(1, 1)};
    // Dense gradients are reduced over dp x cp; when cp sits right below dp the group is one strided block.
    if (p.cp > 1 && cp_before_dp) g.dense_grad = tiled(p.cp * p.dp, stride["cp"]);
    // Expert replicas: the dp ranks holding the same experts, ep apart (cp = 1; with cp > 1 the group
    // is approximated by its dp part: docs/models/training.md).
    g.expert_grad = tiled(p.dp / p.ep, stride["dp"] * p.ep);
    return g;
}

struct KernelTimes {
    double forward_s = 0, backward_s = 0, recompute_s = 0;
    double weight_gradient_s = 0;  ///< of backward_s: the weight-gradient products (DualPipe's W)
    /// of backward_s: the column-parallel products' input- and weight-gradient products (LayerOps::column_*)
    double column_input_gradient_s = 0, column_weight_gradient_s = 0;
    double attention_forward_s = 0, attention_backward_s = 0;
};

double attention_time(const chip::ChipModel& chip, const std::vector<chip::Operation>& ops) {
    double t = 0;
    for (const auto& op : ops)
        if (std::holds_alternative<chip::Attention>(op)) t += chip::cost(chip, op).time_s;
    return t;
}

KernelTimes kernel_times(const chip::ChipModel& chip, const LayerOps& ops) {
    KernelTimes k;
    k.forward_s = chip::cost(chip, ops.forward).time_s;
    k.backward_s = chip::cost(chip, ops.backward).time_s;
    k.recompute_s = chip::cost(chip, ops.recompute).time_s;
    k.weight_gradient_s = chip::cost(chip, ops.weight_gradients).time_s;
    k.column_input_gradient_s = chip::cost(chip, ops.column_input_gradients).time_s;
    k.column_weight_gradient_s = chip::cost(chip, ops.column_weight_gradients).time_s;
    k.attention_forward_s = attention_time(chip, ops.forward);
    k.attention_backward_s = attention_time(chip, ops.backward);
    return k;
}

/// The time per micro-batch of one layer kind on one rank: kernels and exposed collectives.
struct LayerTime {
    KernelTimes k;
    double tp_s = 0, cp_s = 0, ep_s = 0;
    std::size_t ep_path = 0;  ///< which expert-exchange path the layer takes (MoE layers)
};

/// What one rank sees of each layer under `p` (one place for the Shard's many fields).
Shard make_shard(const TrainingSpec& spec, const Plan& p, const chip::ChipModel& chip) {
    const Execution& e = spec.execution;
    return Shard{p.micro_batch, spec.seq_len, p.tp, p.cp, p.ep, p.sequence_parallel, spec.precision, e.flash_attention,
                 e.attention_kernel, e.eager_elementwise, e.fp8_block_scaled,
                 // A chip without a public BF16 peak (Ascend 960, 970) runs them at the plan's precision.
                 chip.supports(chip::DType::bf16) ? chip::DType::bf16 : spec.precision, e.dispatch_bytes,
                 e.fp8_activation_cache, e.fp8_current_scaling, chip.fp8_operand_copies,
                 e.fsdp == FsdpBuffers::per_parameter && p.optimizer == Optimizer::zero3, e.grad_bytes,
                 accumulates_gradients(p.optimizer) ? grad_accumulation_bytes(e.grad_accumulation, p.micro_batches(spec.global_batch))
                                                    : 0.0,
                 e.fused_rope};
}

/// The parts of the model a pipeline stage runs per micro-batch, each `count` times: its layers that
/// recompute (the plan's recomputation) and those that store everything (recompute_layers leaves them
/// out), the embedding on the first stage, and on the last the head and, per multi-token-prediction
/// module, its own kernels, a layer of the last kind and the head again. The step time and the kernel
/// breakdown both read it.
enum class Part : std::uint8_t { layer, moe_layer, layer_stored, moe_layer_stored, embedding, head, mtp, mtp_layer };
struct StagePart {
    Part part;
    double count;
};
std::vector<StagePart> stage_parts(const catalog::WorkloadSpec& w, const Plan& p, std::int64_t stage) {
    const StageLayers n = stage_layers(w, p, stage);
    const StageLayers rc = recomputed_layers(w, p, stage);
    const auto c = [](std::int64_t x) { return static_cast<double>(x); };
    std::vector<StagePart> out{{Part::layer, c(rc.dense)},
                               {Part::moe_layer, c(rc.moe)},
                               {Part::layer_stored, c(n.dense - rc.dense)},
                               {Part::moe_layer_stored, c(n.moe - rc.moe)}};
    if (stage == 0) out.push_back({Part::embedding, 1.0});
    if (stage == p.pp - 1) {
        const double d = c(w.mtp_depth);
        out.push_back({Part::head, 1.0 + d});
        out.push_back({Part::mtp, d});
        out.push_back({Part::mtp_layer, d});
    }
    std::erase_if(out, [](const StagePart& sp) { return sp.count <= 0; });
    return out;
}

std::string_view to_string(Part part) {
    switch (part) {
        case Part::layer: return "layer";
        case Part::moe_layer: return "moe_layer";
        case Part::layer_stored: return "layer_no_recompute";
        case Part::moe_layer_stored: return "moe_layer_no_recompute";
        case Part::embedding: return "embedding";
        case Part::head: return "head";
        case Part::mtp: return "mtp";
        case Part::mtp_layer: return "mtp_layer";
    }
    return "";
}

}  // namespace

std::vector<Rejection> plan_problems(const TrainingSpec& spec, const Plan& p, const TrainingCluster& cluster) {
    std::vector<Rejection> out;
    auto reject = [&out](std::string category, std::string reason) { out.push_back({std::move(category), std::move(reason)}); };
    const auto& w = *spec.workload;
    if (p.tp < 1 || p.pp < 1 || p.dp < 1 || p.cp < 1 || p.ep < 1 || p.virtual_stages < 1 || p.micro_batch < 1) {
        reject("shape", "every parallel degree, virtual_stages and micro_batch must be at least 1");
        return out;
    }
    if (p.chips() != cluster.chips())
        reject("shape", fmt::format("tp x pp x dp x cp = {} x {} x {} x {} = {}, but the cluster has {} chips", p.tp, p.pp,
                                    p.dp, p.cp, p.chips(), cluster.chips()));
    if (w.heads % p.tp != 0) reject("tensor", fmt::format("tp {} does not divide the {} attention heads", p.tp, w.heads));
    if (w.kv_heads % p.tp != 0 && p.tp % w.kv_heads != 0)
        reject("tensor", fmt::format("tp {} and the {} key-value heads: neither divides the other", p.tp, w.kv_heads));
    if (w.ffn % p.tp != 0) reject("tensor", fmt::format("tp {} does not divide the FFN size {}", p.tp, w.ffn));
    if (spec.seq_len % p.cp != 0 || (p.cp > 1 && spec.seq_len / p.cp < 2))
        reject("context", fmt::format("cp {} does not split the sequence of {} tokens evenly", p.cp, spec.seq_len));
    if (p.pp * p.virtual_stages > w.layers)
        reject("pipeline", fmt::format("pp x virtual_stages = {} exceeds the {} layers", p.pp * p.virtual_stages, w.layers));
    if (p.virtual_stages > 1 && p.pp == 1) reject("pipeline", "virtual_stages > 1 needs pp > 1 (interleaved 1F1B)");
    if (const auto& list = p.layers_per_stage; !list.empty()) {
        if (!layers_per_stage_fit(p, w.layers))
            reject("pipeline", fmt::format("layers_per_stage lists {} stages of {} layers in all; the plan needs pp = {} entries of at "
                                           "least 1 summing to the workload's {} layers",
                                           list.size(), std::accumulate(list.begin(), list.end(), std::int64_t{0}), p.pp, w.layers));
        if (p.virtual_stages > 1)
            reject("pipeline", "layers_per_stage splits the layers over the pipeline stages: it needs virtual_stages 1");
    }
    if (p.schedule == PipelineSchedule::dualpipe) {
        if (p.pp < 2 || p.pp % 2 != 0)
            reject("pipeline", fmt::format("dualpipe needs an even pp of at least 2 (rank r holds stages r and pp - 1 - r), got pp {}", p.pp));
        if (p.virtual_stages > 1)
            reject("pipeline", "dualpipe has its own two stages per rank: virtual_stages must be 1");
        const std::int64_t m = p.micro_batches(spec.global_batch);
        if (spec.global_batch % (p.micro_batch * p.dp) == 0 && (m % 2 != 0 || m < 2 * p.pp))
            reject("pipeline", fmt::format("dualpipe feeds half the micro-batches from each end: it needs an even number of at least "
                                           "2 x pp = {} (deepseek-ai/DualPipe), got {} micro-batches",
                                           2 * p.pp, m));
    }
    if (p.recompute_layers < 0 || (p.recompute_layers > 0 && p.recompute != Recompute::full))
        reject("recompute", "recompute_layers counts the layers that recompute in full: at least 1, with recompute full");
    else if (p.recompute_layers > max_chunk_layers(w, p))
        reject("recompute", fmt::format("recompute_layers {} exceeds the {} layers of a model chunk (pp x virtual_stages = {})",
                                        p.recompute_layers, max_chunk_layers(w, p), p.pp * p.virtual_stages));
    if (spec.global_batch % (p.micro_batch * p.dp) != 0) {
        reject("batch", fmt::format("micro_batch x dp = {} x {} does not divide the global batch of {} sequences",
                                    p.micro_batch, p.dp, spec.global_batch));
    } else if (p.virtual_stages > 1 && p.micro_batches(spec.global_batch) % p.pp != 0) {
        reject("pipeline", fmt::format("the interleaved schedule needs the {} micro-batches to be a multiple of pp = {} (Megatron-LM)",
                                       p.micro_batches(spec.global_batch), p.pp));
    }
    if (p.ep > 1) {
        if (!w.moe) {
            reject("expert", "ep > 1 needs a mixture-of-experts workload");
        } else {
            if (w.moe->experts % p.ep != 0)
                reject("expert", fmt::format("ep {} does not divide the {} experts", p.ep, w.moe->experts));
            if (p.dp % p.ep != 0) reject("expert", fmt::format("ep {} does not divide dp {} (experts are spread over data-parallel ranks)", p.ep, p.dp));
        }
    }
    if (p.pp > 1 && (p.optimizer == Optimizer::zero2 || p.optimizer == Optimizer::zero3))
        reject("optimizer", fmt::format("{} with pipeline parallelism: DeepSpeed and FSDP shard gradients per micro-batch, which pipelines do not allow; use zero1",
                                        to_string(p.optimizer)));
    if (!cluster.chip().supports(spec.precision))
        reject("precision", fmt::format("{} has no {} peak", cluster.chip().id, chip::to_string(spec.precision)));
    if (auto why = elementwise_problem(w, spec.execution); !why.empty()) reject("elementwise", why);
    if (auto why = rope_problem(w, spec.execution); !why.empty()) reject("rope", why);
    if (auto why = attention_kernel_problem(cluster.chip(), spec.execution); !why.empty()) reject("attention", why);
    if (auto why = offload_problem(cluster.chip(), w, p); !why.empty()) reject("offload", why);
    else if (auto no_host = host_memory_problem(p, cluster.host_bytes().has_value(), "the system"); !no_host.empty())
        reject("offload", no_host);
    return out;
}

namespace {
/// The memory model's answer for `plan` under the spec's execution (one place for its arguments).
Memory plan_memory(const TrainingSpec& spec, const Plan& plan) {
    return memory_per_chip(*spec.workload, plan, spec.seq_len, spec.precision, spec.execution.flash_attention,
                           spec.execution.eager_elementwise, spec.execution.fp8_activation_cache);
}

/// Host memory the offloaded activations may fill: the system's per chip less the execution's reserve (0: unknown).
double usable_host_bytes(const TrainingSpec& spec, const TrainingCluster& cluster) {
    return cluster.host_bytes().value_or(0.0) * (1 - spec.execution.memory_reserve);
}

/// Whether `m` fits: HBM, and the offloaded activations in host memory.
bool memory_fits(const Memory& m, const TrainingSpec& spec, const TrainingCluster& cluster) {
    return m.total() <= usable_hbm_bytes(spec, cluster) && m.offloaded <= usable_host_bytes(spec, cluster);
}
}  // namespace

std::string memory_shortfall(const Memory& m, const TrainingSpec& spec, const TrainingCluster& cluster) {
    if (m.total() > usable_hbm_bytes(spec, cluster))
        return fmt::format("needs {:.1f} GiB per chip, {:.1f} GiB usable of {:.1f} GiB HBM", m.total() / 0x1p30,
                           usable_hbm_bytes(spec, cluster) / 0x1p30, cluster.hbm_bytes() / 0x1p30);
    if (m.offloaded > usable_host_bytes(spec, cluster))
        return fmt::format("offloads {:.1f} GiB per chip to host memory, {:.1f} GiB usable of {:.1f} GiB", m.offloaded / 0x1p30,
                           usable_host_bytes(spec, cluster) / 0x1p30, cluster.host_bytes().value_or(0.0) / 0x1p30);
    return {};
}

double usable_hbm_bytes(const TrainingSpec& spec, const TrainingCluster& cluster) {
    return cluster.hbm_bytes() * (1 - spec.execution.memory_reserve);
}

Plan fewest_offloaded_layers(const TrainingSpec& spec, const Plan& plan, const TrainingCluster& cluster) {
    const auto& w = *spec.workload;
    if (plan.offload_layers > 0 || w.layers < 2) return plan;
    Plan q = plan;
    q.offload_layers = 1;  // the plan's problems as an offloading plan
    if (!plan_problems(spec, q, cluster).empty()) return plan;
    auto memory = [&](std::int64_t n) {
        q.offload_layers = n;
        return plan_memory(spec, q);
    };
    if (memory_fits(memory(0), spec, cluster)) return plan;
    // HBM falls and host memory grows with every offloaded layer: bisect for the fewest that fit HBM, then check the host.
    std::int64_t lo = 1;
    std::int64_t hi = w.layers - 1;
    if (memory(hi).total() > usable_hbm_bytes(spec, cluster)) return plan;
    while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (memory(mid).total() <= usable_hbm_bytes(spec, cluster)) hi = mid;
        else lo = mid + 1;
    }
    if (!memory_fits(memory(hi), spec, cluster)) return plan;
    Plan out = plan;
    out.offload_layers = hi;
    return out;
}

Plan fewest_recomputed_layers(const TrainingSpec& spec, const Plan& plan, const TrainingCluster& cluster) {
    if (plan.recompute != Recompute::full || plan.recompute_layers > 0 || !plan_problems(spec, plan, cluster).empty())
        return plan;
    const auto& w = *spec.workload;
    const double usable = usable_hbm_bytes(spec, cluster);
    auto fits = [&](std::int64_t n) {
        Plan q = plan;
        q.recompute_layers = n;
        return plan_memory(spec, q).total() <= usable;
    };
    // Memory falls as more layers recompute: bisect for the fewest that fit in [1, all).
    std::int64_t lo = 1;
    std::int64_t hi = max_chunk_layers(w, plan);  // all of them: the plan as given
    if (hi <= 1 || !fits(hi - 1)) return plan;
    hi -= 1;  // fits(hi) holds
    while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (fits(mid)) hi = mid;
        else lo = mid + 1;
    }
    Plan out = plan;
    out.recompute_layers = hi;
    return out;
}

std::variant<StepResult, Rejection> evaluate(const TrainingSpec& spec, const Plan& p, const TrainingCluster& cluster,
                                             bool require_fit, Fidelity fidelity) {
    if (auto problems = plan_problems(spec, p, cluster); !problems.empty()) return problems.front();
    const auto& w = *spec.workload;
    const auto& chip = cluster.chip();
    const Execution& e = spec.execution;

    StepResult r;
    r.plan = p;
    r.micro_batches = p.micro_batches(spec.global_batch);
    const auto m = static_cast<double>(r.micro_batches);

    r.memory = plan_memory(spec, p);
    r.fits = memory_fits(r.memory, spec, cluster);
    if (!r.fits && require_fit)
        return Rejection{"memory", memory_shortfall(r.memory, spec, cluster)};

    const Groups g = make_groups(p, e);
    // The compute share the collective library holds, per collective family: the levels its groups
    // span decide it (an all-reduce inside a UB or HCCS domain takes no AI cores; one over NCCL does).
    const double tp_share = cluster.comm_compute_share(g.tp);
    const double cp_share = cluster.comm_compute_share(g.cp);
    const double dp_share = std::max(cluster.comm_compute_share(g.dense_grad), cluster.comm_compute_share(g.expert_grad));
    struct Costs {
        const TrainingCluster& cluster;
        Fidelity fidelity;
        const std::map<std::string, std::string, std::less<>>& algorithms;  ///< per dimension (Execution::algorithms)
        [[nodiscard]] TrainingCluster::Cost collective(comm::Collective k, const comm::Placement& pl, double bytes,
                                                       std::string_view dimension) const {
            if (fidelity != Fidelity::exact) return cluster.collective_bound(k, pl, bytes);
            const auto it = algorithms.find(dimension);
            return cluster.collective(k, pl, bytes, it == algorithms.end() ? std::string_view() : std::string_view(it->second));
        }
    } const costs{cluster, fidelity, spec.execution.algorithms};
    const Shard shard = make_shard(spec, p, chip);
    const double tokens_per_rank = static_cast<double>(p.micro_batch * spec.seq_len / p.cp);
    const double act_bytes = tokens_per_rank * static_cast<double>(w.hidden) * activation_bytes;

    // Tensor parallel: two collectives per layer in the forward pass (after attention and after the
    // MLP: all-reduce, or reduce-scatter + all-gather with sequence parallelism) and two in the
    // backward pass; a fully recomputed forward repeats its two (Korthikanti et al., section 4).
    // With sequence parallelism: the all-gather and the reduce-scatter; else the all-reduce (as the "reduction").
    double tp_gather_s = 0, tp_reduce_s = 0;
    if (p.tp > 1) {
        if (p.sequence_parallel) {
            const auto ag = costs.collective(comm::Collective::all_gather, g.tp, act_bytes, "tp");
            const auto rs = costs.collective(comm::Collective::reduce_scatter, g.tp, act_bytes, "tp");
            tp_gather_s = ag.time_s;
            tp_reduce_s = rs.time_s;
            r.tp = {ag.algorithm + "+" + rs.algorithm, rs.bottleneck, ag.time_s + rs.time_s};
        } else {
            const auto ar = costs.collective(comm::Collective::all_reduce, g.tp, act_bytes, "tp");
            tp_reduce_s = ar.time_s;
            r.tp = {ar.algorithm, ar.bottleneck, ar.time_s};
        }
    }
    const double tp_call_s = tp_gather_s + tp_reduce_s;  // one exchange of the layer: a pair, or the all-reduce
    // Collective calls per layer: 4, and 2 more where the layer recomputes its forward pass in full.
    auto calls = [](Recompute rc) { return 4.0 + (rc == Recompute::full ? 2.0 : 0.0); };

    // Context parallel (ring attention, Megatron-Core): each rank gathers the keys and values of the
    // others in the forward pass, and again with a reduce-scatter of their gradients in the backward
    // pass, overlapped with the attention kernels.
    double cp_fwd_s = 0, cp_bwd_s = 0;
    if (p.cp > 1) {
        const double kv_heads_rank = std::max<double>(1.0, static_cast<double>(w.kv_heads) / static_cast<double>(p.tp));
        const double head_dim = w.mla ? static_cast<double>(w.mla->qk_nope_head_dim + w.mla->qk_rope_head_dim) : static_cast<double>(w.head_dim);
        const double kv_bytes = 2 * tokens_per_rank * kv_heads_rank * head_dim * activation_bytes * static_cast<double>(p.cp);
        const auto ag = costs.collective(comm::Collective::all_gather, g.cp, kv_bytes, "cp");
        const auto rs = costs.collective(comm::Collective::reduce_scatter, g.cp, kv_bytes, "cp");
        cp_fwd_s = ag.time_s;
        cp_bwd_s = ag.time_s + rs.time_s;
        r.cp = {ag.algorithm, ag.bottleneck, ag.time_s};
    }

    // Expert parallel: per MoE layer a dispatch and a combine all-to-all in each direction (the forward
    // pair again with full recomputation); with sequence parallelism each tensor-parallel rank sends its
    // slice. The dispatches (forward, and the gradients sent back to the experts in the backward pass)
    // may carry FP8 (execution.dispatch: fp8, DeepSeek-V3 §3.3.3); both combines stay 16-bit. Across
    // scale-up domains, DeepEP's normal mode (hierarchical_dispatch) is the other path; each layer takes
    // whichever costs it less (layer_time).
    struct EpPath {
        double pair_s = 0;  ///< a dispatch and a combine: the forward pass's, and the backward pass's
        double share = 0;   ///< of the compute units, held by the path's library while it runs
        CommChoice choice;  ///< what the CSV reports (time: one combine)
    };
    std::vector<EpPath> ep_paths;
    if (w.moe && p.ep > 1) {
        const double tokens = tokens_per_rank / (p.sequence_parallel ? static_cast<double>(p.tp) : 1.0);
        const double token_bytes = tokens * static_cast<double>(w.hidden);
        const double k = static_cast<double>(w.moe->top_k);
        auto flat = [&](double element_bytes) {
            return costs.collective(comm::Collective::all_to_all, g.ep, token_bytes * k * element_bytes, "ep");
        };
        const auto dispatch = flat(e.dispatch_bytes), combine = flat(activation_bytes);
        // The compute units the exchange's library holds: the dispatch library's normal kernels (training's
        // batches are large) when the tuner's all-to-all is its one-sided one, else the collective library's
        // (the bound, which names no algorithm, takes the smaller).
        const double normal_share = cluster.dispatch_compute_share(g.ep, TrainingCluster::DispatchKernels::normal);
        const double flat_share = fidelity == Fidelity::lower_bound ? std::min(cluster.comm_compute_share(g.ep), normal_share)
                                  : combine.algorithm == "one_sided" ? normal_share
                                                                     : cluster.comm_compute_share(g.ep);
        ep_paths.push_back({dispatch.time_s + combine.time_s, flat_share, {combine.algorithm, combine.bottleneck, combine.time_s}});
        // The expert group's ranks inside one domain (stride s, more than one), and the same rank of each domain.
        const std::int64_t domain = cluster.scale_up_domain(), s = g.ep.stride(), span = p.ep * s;
        if (domain > s && span > domain && span % domain == 0 && domain % s == 0) {
            const auto inside = comm::Placement::tiled(p.chips(), domain / s, s);
            const auto across = comm::Placement::tiled(p.chips(), span / domain, domain);
            const auto split = hierarchical_dispatch(token_bytes, *w.moe, span / domain);
            auto two_stage = [&](double element_bytes) {
                return costs.collective(comm::Collective::all_to_all, across, split.across_bytes * element_bytes, "ep").time_s +
                       costs.collective(comm::Collective::all_to_all, inside, split.inside_bytes * element_bytes, "ep").time_s;
            };
            const double h_combine = two_stage(activation_bytes);
            ep_paths.push_back({two_stage(e.dispatch_bytes) + h_combine, normal_share,
                                {"hierarchical_dispatch",
                                 costs.collective(comm::Collective::all_to_all, across, split.across_bytes * activation_bytes, "ep").bottleneck,
                                 h_combine}});
        }
    }

    // A layer running recomputation `rc` (the plan's, or none for the layers recompute_layers leaves out).
    auto layer_time = [&](LayerKind kind, Recomputation rc) {
        LayerTime t;
        t.k = kernel_times(chip, layer_ops(w, kind, shard, rc));
        const double tp_s = calls(rc.granularity) * tp_call_s;
        if (e.overlap_tp_comm) {
            t.tp_s = exposed(tp_s, t.k.forward_s + t.k.backward_s, tp_share);
        } else if (e.overlap_tp_backward) {
            // The forward pass's exchanges (and the recomputed forward's) stay exposed; in the backward pass the
            // column-parallel products' input-gradient reductions run under their weight-gradient products and,
            // with sequence parallelism, their inputs are gathered again under their input-gradient products,
            // while the row-parallel products' output gradients are gathered exposed (10 exchanges a layer in all).
            const double forward_s = (calls(rc.granularity) - 2.0) * tp_call_s;
            t.tp_s = forward_s + 2.0 * tp_gather_s + exposed(2.0 * tp_gather_s, t.k.column_input_gradient_s, tp_share) +
                     exposed(2.0 * tp_reduce_s, t.k.column_weight_gradient_s, tp_share);
        } else {
            t.tp_s = tp_s;
        }
        t.cp_s = exposed(cp_fwd_s, t.k.attention_forward_s, cp_share) + exposed(cp_bwd_s, t.k.attention_backward_s, cp_share);
        // Expert exchanges: three pairs with full recomputation, else two. Overlapped (DualPipe, Megatron-Core's
        // all-to-all overlap), they run under another micro-batch's kernels of the same layer, forward,
        // backward and recomputed. The path that exposes least, each with its own library's share (a lower
        // bound stays one: the least of the paths' bounds is below the least of their exact times).
        if (kind == LayerKind::moe && !ep_paths.empty()) {
            t.ep_s = std::numeric_limits<double>::infinity();
            for (std::size_t i = 0; i < ep_paths.size(); ++i) {
                const double ep_s = ep_paths[i].pair_s * (rc.granularity == Recompute::full ? 3 : 2);
                const double cost = e.overlap_ep_comm ? exposed(ep_s, t.k.forward_s + t.k.backward_s + t.k.recompute_s, ep_paths[i].share)
                                                      : ep_s;
                if (cost < t.ep_s) t.ep_s = cost, t.ep_path = i;
            }
        }
        return t;
    };
    const bool has_moe = w.moe.has_value();
    const bool has_dense = !has_moe || w.moe->dense_layers > 0;
    // The layers that recompute (all, or recompute_layers per chunk) and the others, which store everything.
    const bool partial = p.recompute_layers > 0;
    const LayerTime dense = has_dense ? layer_time(LayerKind::dense, p.recomputation()) : LayerTime{};
    const LayerTime moe = has_moe ? layer_time(LayerKind::moe, p.recomputation()) : LayerTime{};
    if (!ep_paths.empty()) r.ep = ep_paths[moe.ep_path].choice;  // the plan's MoE layers' path
    const LayerTime dense_stored = has_dense && partial ? layer_time(LayerKind::dense, Recompute::none) : dense;
    const LayerTime moe_stored = has_moe && partial ? layer_time(LayerKind::moe, Recompute::none) : moe;
    const KernelTimes embed = kernel_times(chip, embedding_ops(w, shard));
    const KernelTimes head = kernel_times(chip, head_ops(w, shard));
    const KernelTimes mtp = w.mtp_depth > 0 ? kernel_times(chip, mtp_ops(w, shard)) : KernelTimes{};

    // Pipeline sends: each micro-batch crosses every chunk boundary forward and backward. Split sends
    // (Execution::split_pipeline_sends, without sequence parallelism) carry 1/t each and are gathered again
    // over the receiving stage's tensor-parallel group before its kernels read them.
    double pp_send_s = 0;
    if (p.pp > 1) {
        const bool split = e.split_pipeline_sends && !p.sequence_parallel && p.tp > 1;
        const double bytes = act_bytes / (p.sequence_parallel || split ? static_cast<double>(p.tp) : 1.0);
        const auto send = costs.collective(comm::Collective::send_recv, g.pp, bytes, "pp");
        pp_send_s = send.time_s;
        if (split) pp_send_s += costs.collective(comm::Collective::all_gather, g.tp, act_bytes, "tp").time_s;
        r.pp = {send.algorithm, send.bottleneck, send.time_s};
    }

    // The layers of each pipeline stage (stage_layers) per micro-batch; a rank runs one stage (two with
    // DualPipe, each micro-batch passing one of them: their mean); the slowest rank sets the pace.
    struct RankTime {
        double total = 0, compute = 0, recompute = 0, tp = 0, cp = 0, ep = 0, pp = 0, backward = 0, forward = 0;
        double weight_gradients = 0;  ///< of backward
        double layers_forward = 0, layers_backward = 0;  ///< of forward and backward: the transformer layers' kernels
        void add(const RankTime& o, double share) {
            total += share * o.total, compute += share * o.compute, recompute += share * o.recompute;
            tp += share * o.tp, cp += share * o.cp, ep += share * o.ep, pp += share * o.pp;
            backward += share * o.backward, forward += share * o.forward, weight_gradients += share * o.weight_gradients;
            layers_forward += share * o.layers_forward, layers_backward += share * o.layers_backward;
        }
    };
    const LayerTime& last_layer = last_layer_kind(w) == LayerKind::moe ? moe : dense;
    auto stage_time = [&](std::int64_t s) {
        RankTime t;
        for (const auto& [part, c] : stage_parts(w, p, s)) {
            const LayerTime* layer = part == Part::layer              ? &dense
                                     : part == Part::moe_layer        ? &moe
                                     : part == Part::layer_stored     ? &dense_stored
                                     : part == Part::moe_layer_stored ? &moe_stored
                                     : part == Part::mtp_layer        ? &last_layer
                                                                      : nullptr;
            const KernelTimes& k = layer ? layer->k : part == Part::embedding ? embed : part == Part::head ? head : mtp;
            t.compute += c * (k.forward_s + k.backward_s + k.recompute_s);
            t.recompute += c * k.recompute_s;
            t.forward += c * k.forward_s;
            t.backward += c * (k.backward_s + k.recompute_s);
            t.weight_gradients += c * k.weight_gradient_s;
            if (!layer) continue;
            // The model's layers (an MTP module's layer is not one of the L the offload schedule spans), and
            // the collectives of every layer.
            if (part != Part::mtp_layer) {
                t.layers_forward += c * k.forward_s;
                t.layers_backward += c * (k.backward_s + k.recompute_s);
            }
            t.tp += c * layer->tp_s;
            t.cp += c * layer->cp_s;
            t.ep += c * layer->ep_s;
        }
        if (p.pp > 1) t.pp = 2 * static_cast<double>(p.virtual_stages) * pp_send_s;
        t.total = t.compute + t.tp + t.cp + t.ep + t.pp;
        return t;
    };
    RankTime slowest;
    double ranks_total = 0;  ///< one micro-batch's time summed over the pipeline's ranks
    for (std::int64_t rank = 0; rank < p.pp; ++rank) {
        const std::vector<std::int64_t> stages = rank_stages(p, rank);
        RankTime t;
        for (const std::int64_t s : stages) t.add(stage_time(s), 1.0 / static_cast<double>(stages.size()));
        ranks_total += t.total;
        if (t.total > slowest.total) slowest = t, r.slowest_rank = rank;
    }

    // 1F1B: m micro-batches at the pace of the slowest rank, plus the fill and drain: one micro-batch
    // through every other rank at that rank's own pace, (sum of the ranks' times - the slowest's) / v
    // (Narayanan et al., SC21, section 2.2: (pp - 1) / v micro-batch times when the ranks are equal; the
    // critical path of 1F1B with unequal stages, as in Megatron's --num-layer-list or a head-heavy last
    // stage). DualPipe (DeepSeek-V3 Table 2):
    // (pp/2 - 1)(F&B + B - 3W), F&B a forward and a backward overlapped (their kernels back to back,
    // the exchanges of one under the other's: a micro-batch's total), B a backward, W its weight gradients.
    const double fill_drain_s = (ranks_total - slowest.total) / static_cast<double>(p.virtual_stages);
    StepBreakdown& b = r.time;
    b.compute_s = m * slowest.compute;
    b.recompute_s = m * slowest.recompute;
    b.tp_comm_s = m * slowest.tp;
    b.cp_comm_s = m * slowest.cp;
    b.ep_comm_s = m * slowest.ep;
    b.pp_comm_s = m * slowest.pp;
    b.bubble_s = p.schedule == PipelineSchedule::dualpipe
                     ? static_cast<double>(p.pp / 2 - 1) *
                           std::max(0.0, slowest.total + slowest.backward - 3 * slowest.weight_gradients)
                     : fill_drain_s;

    // Activation offloading (one stage: offload_problem): per micro-batch the offloaded layers' activations go
    // to the host in the forward pass and come back in the backward pass, on one copy stream at the host
    // link's rate. Transformer Engine's default schedule (2.10 on) lets a copy lag the computation: layer i's
    // must end before layer L - N + i starts, and its reload starts L - 1 - N layers ahead of its backward;
    // with N <= L - 2 the N copies of a pass stay hidden while they take no longer than L - 2 layers' kernels
    // (the layers' alone: the embedding and head hide nothing), the excess is exposed; with N = L - 1 no copy
    // has a window and all are exposed (docs/research/activation-offload.md; the copies' share of HBM
    // bandwidth is not charged).
    if (p.offload_layers > 0) {
        const double copy_s = r.memory.offloaded / chip.host_link_bytes_per_s;
        const double window = p.offload_layers <= w.layers - 2 ? static_cast<double>(w.layers - 2) / static_cast<double>(w.layers) : 0.0;
        b.offload_s = m * (std::max(0.0, copy_s - window * slowest.layers_forward) +
                           std::max(0.0, copy_s - window * slowest.layers_backward));
    }

    // Data parallel: the gradients of the parameters a rank holds, reduced over its replicas.
    // Dense parameters over dp x cp, expert parameters over dp x cp / ep.
    const ChipParams held = chip_params(w, p);
    const double params = held.total();
    const double expert_params = held.expert;
    const double dense_params = held.dense;
    const bool sharded = p.optimizer != Optimizer::plain;
    double reduce_s = 0, gather_s = 0;
    auto dp_cost = [&](const comm::Placement& group, double n_params) {
        if (group.group_size() == 1 || n_params <= 0) return;
        const double grad = n_params * e.grad_bytes;
        if (!sharded) {
            const auto ar = costs.collective(comm::Collective::all_reduce, group, grad, "dp");
            reduce_s += ar.time_s;
            if (r.dp.algorithm.empty()) r.dp = {ar.algorithm, ar.bottleneck, ar.time_s};
        } else {
            const auto rs = costs.collective(comm::Collective::reduce_scatter, group, grad, "dp");
            const auto ag = costs.collective(comm::Collective::all_gather, group, n_params * activation_bytes, "dp");
            reduce_s += rs.time_s;
            gather_s += ag.time_s;
            if (r.dp.algorithm.empty()) r.dp = {rs.algorithm + "+" + ag.algorithm, rs.bottleneck, rs.time_s + ag.time_s};
        }
    };
    dp_cost(g.dense_grad, dense_params);
    dp_cost(g.expert_grad, expert_params);
    if (p.optimizer == Optimizer::zero3) {
        // FSDP: every layer's parameters are gathered before its forward and its backward, and its
        // gradients reduce-scattered after the backward, once per micro-batch, prefetched one layer
        // ahead so that they overlap the neighbouring layer's kernels; without overlap (overlap_grad_reduce
        // false) they run between them, all exposed (PyTorch FSDP without prefetching; what llm-foundry's
        // 2023 micro-batch sweeps measure: docs/research/fsdp-prefetch.md).
        // PyTorch FSDP1 runs its own kernels on the streams of these collectives, in their chain (fsdp_flat_parameter_ops):
        // one set per wrapped unit, a transformer layer each and the root (embedding and head; zero3 runs with pp 1),
        // per micro-batch.
        double fsdp_kernels_s = 0;
        if (e.fsdp == FsdpBuffers::flat_parameter) {
            const double units = static_cast<double>(w.layers) + 1.0;
            const double group = static_cast<double>(std::max<std::int64_t>(1, g.dense_grad.group_size()));
            fsdp_kernels_s = units * chip::cost(chip, fsdp_flat_parameter_ops(params / units, group, e.grad_bytes, (m - 1) / m)).time_s;
        }
        const double per_mb_comm = 2 * gather_s + reduce_s + fsdp_kernels_s;
        b.dp_comm_s = m * (e.overlap_grad_reduce ? exposed(per_mb_comm, slowest.compute, dp_share) : per_mb_comm);
    } else if (e.overlap_grad_reduce) {
        // Buckets are reduced as the last micro-batch's backward pass produces them, and parameters
        // gathered as the next step's first forward pass needs them (Megatron-LM --overlap-grad-reduce,
        // --overlap-param-gather; PyTorch DDP buckets).
        b.dp_comm_s = exposed(reduce_s, slowest.backward, dp_share) + exposed(gather_s, slowest.forward, dp_share);
    } else {
        b.dp_comm_s = reduce_s + gather_s;
    }

    // Optimizer: Adam over the parameters this rank updates (sharded: dense over dp x cp, experts
    // over dp x cp / ep, as memory_per_chip shards their states).
    const double replicas = static_cast<double>(p.dp * p.cp);
    const double updated = sharded ? dense_params / replicas + expert_params / (replicas / static_cast<double>(p.ep)) : params;
    b.optimizer_s = chip::cost(chip, optimizer_ops(updated, e.grad_bytes, spec.precision)).time_s;

    b.step_s = b.compute_s + b.tp_comm_s + b.cp_comm_s + b.ep_comm_s + b.pp_comm_s + b.bubble_s + b.offload_s + b.dp_comm_s +
               b.optimizer_s;
    r.tokens_per_s = static_cast<double>(spec.global_batch * spec.seq_len) / b.step_s;
    r.model_flops = step_flops(FlopConvention::exact_model, w, spec.global_batch, spec.seq_len);
    r.hardware_flops = step_flops(FlopConvention::exact_hardware, w, spec.global_batch, spec.seq_len, p);
    const double peak = chip.peak(spec.precision) * static_cast<double>(cluster.chips()) * b.step_s;
    r.mfu = r.model_flops / peak;
    r.hfu = r.hardware_flops / peak;
    return r;
}

std::variant<KernelBreakdown, Rejection> kernel_breakdown(const TrainingSpec& spec, const Plan& p, const TrainingCluster& cluster) {
    auto evaluated = evaluate(spec, p, cluster, /*require_fit=*/false);
    if (auto* rejection = std::get_if<Rejection>(&evaluated)) return *rejection;
    KernelBreakdown out{std::get<StepResult>(std::move(evaluated)), {}};
    const auto& w = *spec.workload;
    const auto& chip = cluster.chip();
    const Shard shard = make_shard(spec, p, chip);
    const auto ops_of = [&](Part part) {
        switch (part) {
            case Part::layer: return layer_ops(w, LayerKind::dense, shard, p.recomputation());
            case Part::moe_layer: return layer_ops(w, LayerKind::moe, shard, p.recomputation());
            case Part::layer_stored: return layer_ops(w, LayerKind::dense, shard, Recompute::none);
            case Part::moe_layer_stored: return layer_ops(w, LayerKind::moe, shard, Recompute::none);
            case Part::embedding: return embedding_ops(w, shard);
            case Part::head: return head_ops(w, shard);
            case Part::mtp: return mtp_ops(w, shard);
            case Part::mtp_layer: return layer_ops(w, last_layer_kind(w), shard, p.recomputation());
        }
        return LayerOps{};
    };
    const auto m = static_cast<double>(out.step.micro_batches);
    const std::vector<std::int64_t> stages = rank_stages(p, out.step.slowest_rank);
    for (const std::int64_t stage : stages) {
        for (const auto& [part, count] : stage_parts(w, p, stage)) {
            const LayerOps ops = ops_of(part);
            const double calls = m * count / static_cast<double>(stages.size());
            for (const auto& [pass, list] : {std::pair{"forward", &ops.forward}, std::pair{"recompute", &ops.recompute},
                                             std::pair{"backward", &ops.backward}})
                for (std::size_t i = 0; i < list->size(); ++i)
                    out.rows.push_back({to_string(part), pass, i, (*list)[i], chip::cost(chip, (*list)[i]), calls});
        }
    }
    return out;
}

}  // namespace clustersim::train
