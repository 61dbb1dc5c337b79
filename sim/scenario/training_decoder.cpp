#include "scenario/training_decoder.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <set>

#include "comm/algorithms.hpp"
#include "diag/suggest.hpp"
#include "scenario/workload_loader.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> training_keys{"workload", "global_batch", "seq_len", "precision", "plan", "execution"};
const std::vector<std::string> plan_keys{"tp",          "pp",       "dp",        "cp", "ep", "virtual_stages", "micro_batch",
                                         "sequence_parallel", "recompute", "recompute_modules", "recompute_layers", "optimizer",
                                         "schedule", "layers_per_stage", "activation_offload_layers"};
const std::vector<std::string> execution_keys{"overlap_grad_reduce", "overlap_tp_comm", "overlap_ep_comm", "grad_reduce",
                                              "order",               "memory_reserve",  "attention",       "elementwise",
                                              "fp8_scaling",         "dispatch",        "algorithms",      "activation_cache",
                                              "fsdp",                "grad_accumulation", "rope",
                                              "pipeline_sends",      "overlap_tp_backward"};
const std::vector<std::string> measured_keys{"reference",
                                             "source",
                                             "note",
                                             "flops_per_chip",
                                             "mfu",
                                             "tokens_per_s",
                                             "tokens_per_s_per_chip",
                                             "step_time",
                                             "prefill_tokens_per_s_per_chip",
                                             "decode_tokens_per_s_per_chip",
                                             "tpot",
                                             "ttft",
                                             "flops_convention",
                                             "peak"};

// Upper bounds that keep every product of the model (tokens x hidden x ...) far inside 64 bits;
// each is far beyond any real job.
constexpr std::int64_t max_degree = std::int64_t{1} << 24;        // any parallel degree, micro-batch
constexpr std::int64_t max_global_batch = std::int64_t{1} << 32;  // sequences per step
constexpr std::int64_t max_seq_len = std::int64_t{1} << 27;       // 134M tokens per sequence

std::string fmt_count(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

// recompute_modules: a non-empty list of Megatron-Core's module names, each once.
std::optional<train::RecomputeModules> decode_recompute_modules(const Source& src, const YAML::Node& node,
                                                                const std::string& path) {
    std::vector<std::string> valid;
    std::string list;
    for (const auto m : train::all_recompute_modules) {
        valid.emplace_back(train::to_string(m));
        list += (list.empty() ? "" : ", ") + valid.back();
    }
    if (!node.IsSequence() || node.size() == 0) {
        src.error(node, path, "expected a non-empty list of modules to recompute, from " + list + " (e.g. [layernorm, mla_up_proj, moe_act])");
        return std::nullopt;
    }
    std::vector<train::RecomputeModule> modules;
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
        const std::string at = index_path(path, i);
        auto text = as_string(src, node[i], at);
        if (!text) {
            ok = false;
            continue;
        }
        const auto m = train::recompute_module_from_string(*text);
        if (!m) {
            src.error(node[i], at, "unknown module '" + *text + "'" + diag::did_you_mean(*text, valid) + "; valid: " + list);
            ok = false;
        } else if (std::find(modules.begin(), modules.end(), *m) != modules.end()) {
            src.error(node[i], at, "module '" + *text + "' is listed twice");
            ok = false;
        } else {
            modules.push_back(*m);
        }
    }
    if (!ok) return std::nullopt;
    train::RecomputeModules out{modules.front()};
    for (const auto m : modules) out = out.with(m);
    return out;
}

std::optional<train::Plan> decode_plan(const Source& src, const YAML::Node& node, const std::string& path,
                                       std::optional<std::int64_t>& dp) {
    MapReader m(src, node, path, plan_keys);
    if (!m.ok()) return std::nullopt;
    train::Plan p;
    bool ok = true;
    auto degree = [&](std::string_view key, std::int64_t& out) {
        if (!m.has(key)) return;
        if (auto v = m.integer(key, false, 1, max_degree)) {
            out = *v;
        } else {
            ok = false;
        }
    };
    degree("tp", p.tp);
    degree("pp", p.pp);
    degree("cp", p.cp);
    degree("ep", p.ep);
    degree("virtual_stages", p.virtual_stages);
    degree("micro_batch", p.micro_batch);
    if (m.has("dp")) {
        dp = m.integer("dp", false, 1, max_degree);
        ok = ok && dp.has_value();
    }
    if (m.has("sequence_parallel")) {
        auto b = as_boolean(src, m.get("sequence_parallel"), join_path(path, "sequence_parallel"));
        ok = ok && b.has_value();
        p.sequence_parallel = b.value_or(false);
    }
    if (m.has("recompute")) {
        const auto r = as_enum(src, m.get("recompute"), join_path(path, "recompute"), train::all_recompute);
        ok = ok && r.has_value();
        if (r) p.recompute = *r;
    }
    if (m.has("recompute_modules")) {
        auto modules = decode_recompute_modules(src, m.get("recompute_modules"), join_path(path, "recompute_modules"));
        ok = ok && modules.has_value();
        if (modules) p.recompute_modules = *modules;
        if (ok && p.recompute != train::Recompute::selective) {
            src.error(m.get("recompute_modules"), join_path(path, "recompute_modules"),
                      "recompute_modules lists what selective recomputation re-runs: it needs recompute: selective");
            ok = false;
        }
    }
    degree("recompute_layers", p.recompute_layers);
    if (m.has("recompute_layers") && p.recompute != train::Recompute::full && ok) {
        src.error(m.get("recompute_layers"), join_path(path, "recompute_layers"),
                  "recompute_layers counts the layers of each model chunk that recompute in full: it needs recompute: full");
        ok = false;
    }
    if (m.has("optimizer")) {
        const auto o = as_enum(src, m.get("optimizer"), join_path(path, "optimizer"), train::all_optimizers);
        ok = ok && o.has_value();
        if (o) p.optimizer = *o;
    }
    if (m.has("activation_offload_layers")) {
        auto n = m.integer("activation_offload_layers", false, 0, max_degree);
        ok = ok && n.has_value();
        if (n) p.offload_layers = *n;
    }
    if (m.has("schedule")) {
        const auto sch = as_enum(src, m.get("schedule"), join_path(path, "schedule"), train::all_schedules);
        ok = ok && sch.has_value();
        if (sch) p.schedule = *sch;
    }
    if (m.has("layers_per_stage")) {
        const YAML::Node list = m.get("layers_per_stage");
        const std::string at = join_path(path, "layers_per_stage");
        if (!list.IsSequence() || list.size() == 0) {
            src.error(list, at, "expected a list of the layers of each pipeline stage, first to last, e.g. [17, 20, 22, 21]");
            ok = false;
        } else {
            for (std::size_t i = 0; i < list.size(); ++i) {
                const auto n = as_integer(src, list[i], index_path(at, i), 1, max_degree);
                ok = ok && n.has_value();
                if (n) p.layers_per_stage.push_back(*n);
            }
            if (ok && static_cast<std::int64_t>(list.size()) != p.pp) {
                src.error(list, at, "lists " + std::to_string(list.size()) + " stages, but pp is " + std::to_string(p.pp) +
                                        ": one entry per pipeline stage");
                ok = false;
            } else if (ok && p.virtual_stages > 1) {
                src.error(list, at, "splits the layers over the pipeline stages: it needs virtual_stages 1 (the interleaved "
                                    "schedule splits them evenly)");
                ok = false;
            }
        }
    }
    if (p.sequence_parallel && p.tp == 1 && ok) {
        src.error(m.get("sequence_parallel"), join_path(path, "sequence_parallel"),
                  "sequence parallelism splits work over the tensor-parallel ranks: it needs tp > 1");
        ok = false;
    }
    if (!ok) return std::nullopt;
    return p;
}

// "tp-cp-ep-dp-pp": each of tp, cp, dp, pp once; ep optional, right before dp (experts are spread
// over data-parallel ranks).
std::optional<std::vector<std::string>> decode_order(const Source& src, const YAML::Node& node, const std::string& path) {
    auto text = as_string(src, node, path);
    if (!text) return std::nullopt;
    std::vector<std::string> dims;
    std::size_t start = 0;
    while (start <= text->size()) {
        const std::size_t dash = text->find('-', start);
        dims.push_back(text->substr(start, dash == std::string::npos ? std::string::npos : dash - start));
        if (dash == std::string::npos) break;
        start = dash + 1;
    }
    const std::vector<std::string> valid{"tp", "cp", "ep", "dp", "pp"};
    std::set<std::string> seen;
    for (const auto& d : dims) {
        if (std::find(valid.begin(), valid.end(), d) == valid.end()) {
            src.error(node, path, "unknown parallel dimension '" + d + "'" + diag::did_you_mean(d, valid) +
                                      " in '" + *text + "'; write the dimensions fastest first, joined by '-', e.g. 'tp-cp-ep-dp-pp'");
            return std::nullopt;
        }
        if (!seen.insert(d).second) {
            src.error(node, path, "dimension '" + d + "' appears twice in '" + *text + "'");
            return std::nullopt;
        }
    }
    for (const char* d : {"tp", "cp", "dp", "pp"}) {
        if (seen.count(d) == 0) {
            src.error(node, path, std::string("'") + *text + "' lacks '" + d + "'; the order names tp, cp, dp and pp (and ep, right before dp)");
            return std::nullopt;
        }
    }
    const auto ep = std::find(dims.begin(), dims.end(), "ep");
    if (ep != dims.end() && (ep + 1 == dims.end() || *(ep + 1) != "dp")) {
        src.error(node, path, "in '" + *text + "', ep must come right before dp: expert-parallel groups are carved out of the data-parallel ranks");
        return std::nullopt;
    }
    return dims;
}

std::optional<std::map<std::string, std::string, std::less<>>> decode_algorithms(const Source& src, const YAML::Node& node,
                                                                                const std::string& path) {
    MapReader m(src, node, path, train::parallel_dimensions());
    if (!m.ok()) return std::nullopt;
    const auto registry = comm::builtin_algorithms();
    std::map<std::string, std::string, std::less<>> out;
    bool ok = true;
    for (const auto& d : train::parallel_dimensions()) {
        if (!m.has(d)) continue;
        auto name = m.string(d, false);
        if (!name) {
            ok = false;
            continue;
        }
        const auto valid = registry.names_for(train::dimension_collectives(d));
        if (std::find(valid.begin(), valid.end(), *name) == valid.end()) {
            const bool known = registry.find(*name) != nullptr;
            src.error(m.get(d), join_path(path, d),
                      (known ? "algorithm '" + *name + "' does not run the " + d + " collectives"
                             : "unknown algorithm '" + *name + "'" + diag::did_you_mean(*name, registry.names())) +
                          "; valid for " + d + ": " + diag::join_names(valid) + " (clustersim list algorithms)");
            ok = false;
            continue;
        }
        out.emplace(d, *name);
    }
    if (!ok) return std::nullopt;
    return out;
}

std::optional<train::Execution> decode_execution(const Source& src, const YAML::Node& node, const std::string& path) {
    MapReader m(src, node, path, execution_keys);
    if (!m.ok()) return std::nullopt;
    train::Execution e;
    bool ok = true;
    auto flag = [&](std::string_view key, bool& out) { ok = read_flag(src, m, key, out) && ok; };
    flag("overlap_grad_reduce", e.overlap_grad_reduce);
    flag("overlap_tp_comm", e.overlap_tp_comm);
    flag("overlap_ep_comm", e.overlap_ep_comm);
    flag("overlap_tp_backward", e.overlap_tp_backward);
    if (e.overlap_tp_comm && e.overlap_tp_backward) {
        src.error(m.get("overlap_tp_backward"), join_path(path, "overlap_tp_backward"),
                  "overlap_tp_backward describes the column-parallel products' asynchronous backward exchanges, which "
                  "overlap_tp_comm: true overlaps already with every other exchange (valid: one of them)");
        ok = false;
    }
    if (m.has("grad_reduce")) {
        auto c = as_choice(src, m.get("grad_reduce"), join_path(path, "grad_reduce"), {"fp32", "bf16"});
        ok = ok && c.has_value();
        if (c) e.grad_bytes = *c == "fp32" ? 4 : 2;
    }
    if (m.has("attention")) {
        auto c = as_choice(src, m.get("attention"), join_path(path, "attention"), {"flash", "flash_triton", "unfused"});
        ok = ok && c.has_value();
        if (c) {
            e.flash_attention = *c != "unfused";
            e.attention_kernel = *c == "flash_triton" ? chip::AttentionKernel::flash_triton : chip::AttentionKernel::standard;
        }
    }
    if (m.has("elementwise")) {
        auto c = as_choice(src, m.get("elementwise"), join_path(path, "elementwise"), {"fused", "eager"});
        ok = ok && c.has_value();
        if (c) e.eager_elementwise = *c == "eager";
    }
    if (m.has("rope")) {
        auto c = as_choice(src, m.get("rope"), join_path(path, "rope"), {"fused", "unfused"});
        ok = ok && c.has_value();
        if (c) e.fused_rope = *c == "fused";
        if (c && e.eager_elementwise) {
            src.error(m.get("rope"), join_path(path, "rope"),
                      "rope: " + *c + " describes Megatron-LM's rotary kernels; elementwise: eager runs the Llama reference code's own "
                      "(torchtitan's, through complex64) (valid: leave rope out, or elementwise: fused)");
            ok = false;
        }
    }
    if (m.has("pipeline_sends")) {
        auto c = as_choice(src, m.get("pipeline_sends"), join_path(path, "pipeline_sends"), {"whole", "split"});
        ok = ok && c.has_value();
        if (c) e.split_pipeline_sends = *c == "split";
    }
    if (m.has("fsdp")) {
        const auto b = as_enum(src, m.get("fsdp"), join_path(path, "fsdp"), train::all_fsdp_buffers);
        ok = ok && b.has_value();
        if (b) e.fsdp = *b;
    }
    if (m.has("grad_accumulation")) {
        const auto a = as_enum(src, m.get("grad_accumulation"), join_path(path, "grad_accumulation"), train::all_grad_accumulations);
        ok = ok && a.has_value();
        if (a) e.grad_accumulation = *a;
    }
    std::string dispatch = e.dispatch_bytes == 2 ? "bf16" : "fp8",
                scaling = e.fp8_block_scaled ? "block" : e.fp8_current_scaling ? "current" : "tensor";
    ok = read_choice(src, m, "dispatch", {"bf16", "fp8"}, dispatch) && ok;
    ok = read_choice(src, m, "fp8_scaling", {"tensor", "current", "block"}, scaling) && ok;
    e.dispatch_bytes = dispatch == "bf16" ? 2 : 1;
    e.fp8_block_scaled = scaling == "block";
    e.fp8_current_scaling = scaling == "current";
    std::string cache = e.fp8_activation_cache ? "fp8" : "bf16";
    ok = read_choice(src, m, "activation_cache", {"bf16", "fp8"}, cache) && ok;
    e.fp8_activation_cache = cache == "fp8";
    if (m.has("order")) {
        auto o = decode_order(src, m.get("order"), join_path(path, "order"));
        ok = ok && o.has_value();
        if (o) e.order = *o;
    }
    ok = read_number(src, m, "memory_reserve", e.memory_reserve, 0, 1, false,
                     "the fraction of HBM kept free, a number in [0, 1) such as 0.1") && ok;
    if (m.has("algorithms")) {
        auto a = decode_algorithms(src, m.get("algorithms"), join_path(path, "algorithms"));
        ok = ok && a.has_value();
        if (a) e.algorithms = std::move(*a);
    }
    if (!ok) return std::nullopt;
    return e;
}

}  // namespace

std::optional<TrainingDraft> decode_training(const Source& src, const YAML::Node& node, const std::string& path,
                                             const catalog::Catalog& cat) {
    MapReader m(src, node, path, training_keys);
    if (!m.ok()) return std::nullopt;
    TrainingDraft d;
    d.node = node;
    bool ok = true;
    d.spec.workload = workload_of(src, m, cat);
    if (d.spec.workload) {
        d.spec.seq_len = d.spec.workload->seq_len;
    } else {
        ok = false;
    }
    if (auto gb = m.integer("global_batch", true, 1, max_global_batch)) {
        d.spec.global_batch = *gb;
    } else {
        ok = false;
    }
    if (m.has("seq_len")) {
        auto s = m.integer("seq_len", false, 1, max_seq_len);
        ok = ok && s.has_value();
        if (s) d.spec.seq_len = *s;
    }
    if (m.has("precision")) {
        auto c = as_choice(src, m.get("precision"), join_path(path, "precision"), {"bf16", "fp16", "fp8"});
        ok = ok && c.has_value();
        if (c) d.spec.precision = *chip::dtype_from_string(*c);
    }
    if (m.has("plan")) {
        d.plan_node = m.get("plan");
        auto p = decode_plan(src, d.plan_node, join_path(path, "plan"), d.dp);
        ok = ok && p.has_value();
        if (p && d.spec.workload && !p->layers_per_stage.empty()) {
            const auto& list = p->layers_per_stage;
            const std::int64_t sum = std::accumulate(list.begin(), list.end(), std::int64_t{0});
            if (sum != d.spec.workload->layers) {
                src.error(d.plan_node["layers_per_stage"], join_path(path, "plan.layers_per_stage"),
                          "lists " + std::to_string(sum) + " layers in all, but " + d.spec.workload->id + " has " +
                              std::to_string(d.spec.workload->layers));
                ok = false;
            }
        }
        d.spec.plan = p;
    }
    if (m.has("execution")) {
        auto e = decode_execution(src, m.get("execution"), join_path(path, "execution"));
        ok = ok && e.has_value();
        if (e) d.spec.execution = *e;
        // A switch the workload cannot run is an input error, found here rather than as every plan's rejection.
        if (e && d.spec.workload) {
            if (auto why = train::elementwise_problem(*d.spec.workload, *e); !why.empty()) {
                src.error(m.get("execution")["elementwise"], join_path(path, "execution.elementwise"), why);
                ok = false;
            }
            if (auto why = train::rope_problem(*d.spec.workload, *e); !why.empty()) {
                src.error(m.get("execution")["rope"], join_path(path, "execution.rope"), why);
                ok = false;
            }
        }
        if (e && (e->fp8_block_scaled || e->fp8_current_scaling) && d.spec.precision != chip::DType::fp8) {
            src.error(m.get("execution")["fp8_scaling"], join_path(path, "execution.fp8_scaling"),
                      std::string("fp8_scaling: ") + (e->fp8_block_scaled ? "block" : "current") +
                          " describes FP8 matrix products, but precision is " +
                          std::string(chip::to_string(d.spec.precision)) + " (valid: precision: fp8, or fp8_scaling: tensor)");
            ok = false;
        }
        if (e && e->fp8_activation_cache && d.spec.precision != chip::DType::fp8) {
            src.error(m.get("execution")["activation_cache"], join_path(path, "execution.activation_cache"),
                      "activation_cache: fp8 is DeepSeek-V3's cache of FP8 training, but precision is " +
                          std::string(chip::to_string(d.spec.precision)) + " (valid: precision: fp8, or activation_cache: bf16)");
            ok = false;
        } else if (e && e->fp8_activation_cache && e->eager_elementwise) {
            src.error(m.get("execution")["activation_cache"], join_path(path, "execution.activation_cache"),
                      "activation_cache: fp8 is DeepSeek-V3's fused kernels' cache; elementwise: eager keeps what eager PyTorch "
                      "saves (valid: activation_cache: bf16, or elementwise: fused)");
            ok = false;
        }
        // Switches that describe one kind of sharding, against a given plan of another (a search picks the optimizer:
        // they apply where its plans use it).
        const auto optimizer = d.spec.plan ? std::optional(d.spec.plan->optimizer) : std::nullopt;
        if (e && optimizer && e->fsdp != train::FsdpBuffers::flat && *optimizer != train::Optimizer::zero3) {
            src.error(m.get("execution")["fsdp"], join_path(path, "execution.fsdp"),
                      "fsdp: " + std::string(train::to_string(e->fsdp)) + " describes zero3's gathered parameters, but the plan's optimizer is " +
                          std::string(train::to_string(*optimizer)) + " (valid: optimizer: zero3, or fsdp: flat)");
            ok = false;
        }
        if (e && optimizer && e->grad_accumulation != train::GradAccumulation::fused && !train::accumulates_gradients(*optimizer)) {
            src.error(m.get("execution")["grad_accumulation"], join_path(path, "execution.grad_accumulation"),
                      "grad_accumulation: " + std::string(train::to_string(e->grad_accumulation)) +
                          " describes how plain and zero1 add micro-batches' gradients, but the plan's optimizer is " +
                          std::string(train::to_string(*optimizer)) +
                          ", which reduces every micro-batch's (valid: optimizer: plain or zero1, or grad_accumulation: fused)");
            ok = false;
        }
    }
    // Activation offloading's limits that the workload and the plan decide (the cluster's: check_training_cluster),
    // reported with the case's other errors.
    if (d.spec.workload && d.spec.plan && d.spec.plan->offload_layers > 0) {
        if (auto why = train::offload_plan_problem(*d.spec.workload, *d.spec.plan); !why.empty()) {
            src.error(d.plan_node["activation_offload_layers"], join_path(path, "plan.activation_offload_layers"), why);
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return d;
}

bool check_training_cluster(const Source& src, const TrainingDraft& d, const std::string& path, const catalog::Cluster& cluster) {
    const auto& e = d.spec.execution;
    const std::int64_t offload = d.spec.plan ? d.spec.plan->offload_layers : 0;
    if (e.attention_kernel == chip::AttentionKernel::standard && offload == 0) return true;
    const auto model = chip::make_chip_model(*cluster.chip);
    if (!std::holds_alternative<chip::ChipModel>(model)) return true;  // not modelled: the run says why
    const auto& c = std::get<chip::ChipModel>(model);
    bool ok = true;
    if (const auto why = train::attention_kernel_problem(c, e); !why.empty()) {
        src.error(d.node["execution"]["attention"], join_path(path, "execution.attention"), why);
        ok = false;
    }
    if (offload > 0) {
        const std::string at = join_path(path, "plan.activation_offload_layers");
        if (const auto why = train::host_link_problem(c, *d.spec.plan); !why.empty()) {
            src.error(d.plan_node["activation_offload_layers"], at, why);
            ok = false;
        } else if (const auto none = train::host_memory_problem(*d.spec.plan, cluster.host_memory.known(),
                                                                cluster.system_id.empty() ? "a cluster of chips without a system"
                                                                                          : "system " + cluster.system_id);
                   !none.empty()) {
            src.error(d.plan_node["activation_offload_layers"], at, none);
            ok = false;
        }
    }
    return ok;
}

bool check_training_plan(const Source& src, TrainingDraft& d, const std::string& path, std::int64_t chips) {
    if (!d.spec.plan) return true;
    auto& p = *d.spec.plan;
    const std::string plan_path = join_path(path, "plan");
    // Each degree is at most 2^24, so the product is exact in a double; only a product that fits
    // the chips is formed in 64 bits.
    const double product = static_cast<double>(p.tp) * static_cast<double>(p.pp) * static_cast<double>(p.cp);
    const std::int64_t model = product <= static_cast<double>(chips) ? p.tp * p.pp * p.cp : 0;
    if (model == 0 || chips % model != 0) {
        src.error(d.plan_node, plan_path,
                  "tp x pp x cp = " + std::to_string(p.tp) + " x " + std::to_string(p.pp) + " x " + std::to_string(p.cp) +
                      " = " + fmt_count(product) + " does not divide the case's " + std::to_string(chips) + " chips");
        return false;
    }
    p.dp = chips / model;
    if (d.dp && *d.dp != p.dp) {
        src.error(d.plan_node["dp"], join_path(plan_path, "dp"),
                  "dp " + std::to_string(*d.dp) + " disagrees with the chips: " + std::to_string(chips) + " / (tp x pp x cp = " +
                      std::to_string(model) + ") = " + std::to_string(p.dp) + " (dp may be left out)");
        return false;
    }
    return true;
}

std::optional<train::Measurement> decode_measured(const Source& src, const YAML::Node& node, const std::string& path) {
    MapReader m(src, node, path, measured_keys);
    if (!m.ok()) return std::nullopt;
    train::Measurement out;
    bool ok = true;
    auto text = [&](std::string_view key, std::string& into, bool required) {
        if (auto s = m.string(key, required)) {
            into = *s;
        } else if (required || m.has(key)) {
            ok = false;
        }
    };
    text("reference", out.reference, false);
    text("source", out.source, true);
    text("note", out.note, false);
    struct MetricKey {
        const char* key;
        train::Metric metric;
        units::Dimension dimension;
    };
    const MetricKey metrics[] = {{"flops_per_chip", train::Metric::flops_per_chip, units::Dimension::compute_rate},
                                 {"mfu", train::Metric::mfu, units::Dimension::compute_rate},
                                 {"tokens_per_s", train::Metric::tokens_per_s, units::Dimension::token_rate},
                                 {"tokens_per_s_per_chip", train::Metric::tokens_per_s_per_chip, units::Dimension::token_rate},
                                 {"step_time", train::Metric::step_time, units::Dimension::time},
                                 {"prefill_tokens_per_s_per_chip", train::Metric::prefill_tokens_per_s_per_chip, units::Dimension::token_rate},
                                 {"decode_tokens_per_s_per_chip", train::Metric::decode_tokens_per_s_per_chip, units::Dimension::token_rate},
                                 {"tpot", train::Metric::tpot, units::Dimension::time},
                                 {"ttft", train::Metric::ttft, units::Dimension::time}};
    std::vector<std::string> given;
    for (const auto& mk : metrics) {
        if (!m.has(mk.key)) continue;
        given.emplace_back(mk.key);
        out.metric = mk.metric;
        const std::string p = join_path(path, mk.key);
        if (mk.metric == train::Metric::mfu) {
            auto f = as_fraction(src, m.get(mk.key), p);
            ok = ok && f.has_value();
            out.value = f.value_or(0);
        } else {
            auto q = as_quantity(src, m.get(mk.key), p, mk.dimension, false);
            ok = ok && q.has_value();
            out.value = q.value_or(0);
        }
    }
    if (given.size() != 1) {
        src.error(node, path,
                  given.empty() ? "missing the measured figure: give one of flops_per_chip, mfu, tokens_per_s, tokens_per_s_per_chip, step_time "
                                                "(training) or prefill_tokens_per_s_per_chip, decode_tokens_per_s_per_chip, tpot, ttft (serving)"
                                : "give one measured figure, not " + std::to_string(given.size()) + " (" + diag::join_names(given) + ")");
        return std::nullopt;
    }
    const bool flops = out.metric == train::Metric::flops_per_chip || out.metric == train::Metric::mfu;
    if (m.has("flops_convention")) {
        auto c = as_choice(src, m.get("flops_convention"), join_path(path, "flops_convention"),
                           {"megatron_hardware", "megatron_model", "palm", "six_n", "exact_model", "exact_hardware"});
        ok = ok && c.has_value();
        if (c) out.convention = train::flop_convention_from_string(*c);
        if (c && !flops) {
            src.error(m.get("flops_convention"), join_path(path, "flops_convention"),
                      "a FLOP convention applies to flops_per_chip and mfu only, not to " + given.front());
            ok = false;
        }
    } else if (flops) {
        src.error(node, path, "missing key 'flops_convention': say what the source counts as FLOPs (megatron_hardware, megatron_model, palm, six_n)");
        ok = false;
    }
    if (m.has("peak")) {
        auto q = as_quantity(src, m.get("peak"), join_path(path, "peak"), units::Dimension::compute_rate, false);
        ok = ok && q.has_value();
        out.peak_flop_per_s = q;
        if (q && out.metric != train::Metric::mfu) {
            src.error(m.get("peak"), join_path(path, "peak"), "peak is the denominator of mfu; it does not apply to " + given.front());
            ok = false;
        }
    } else if (out.metric == train::Metric::mfu) {
        src.error(node, path, "missing key 'peak': the per-chip peak the source divides by for its MFU, e.g. '312 TFLOPS'");
        ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
}

}  // namespace clustersim::scenario
