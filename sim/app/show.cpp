#include "app/show.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "aggregate/aggregates.hpp"
#include "topo/metrics.hpp"
#include "chip/chip_model.hpp"
#include "chip/transformer_layer.hpp"
#include "diag/suggest.hpp"
#include "output/summary.hpp"
#include "output/table.hpp"
#include "units/format.hpp"

namespace clustersim::app {
namespace {

using catalog::FigureInfo;
using catalog::FigureKind;

template <class Q>
std::string value_text(const FigureInfo& info, const catalog::Figure<Q>& f, bool say_direction = true) {
    if (!f.known()) return "unknown";
    if constexpr (std::is_same_v<Q, std::int64_t>) {
        return fmt::format("{}", *f.value);
    } else if constexpr (std::is_same_v<Q, double>) {
        return fmt::format("{:.4g}", *f.value);
    } else {
        const double v = f.value->si();
        if (info.kind == FigureKind::data) return units::format_binary_bytes(v);
        std::string text = units::format_si(v, catalog::dimension_of(info.kind));
        if (info.name == "int8_dense") text.replace(text.find("FLOP"), 4, "OP");  // integer operations
        return text + (info.directional && say_direction ? " per direction" : "");
    }
}

template <class Q>
std::string figure_block(const FigureInfo& info, const catalog::Figure<Q>& f) {
    std::string out = fmt::format("  {:<22} {}\n", info.name, value_text(info, f));
    if (f.known()) {
        const auto& p = f.provenance;
        out += fmt::format("  {:<22}   {}, source {}; as stated: {}\n", "", catalog::to_string(p.confidence),
                           p.source_id, p.stated.empty() ? "-" : p.stated);
    }
    if (!f.provenance.note.empty()) out += fmt::format("  {:<22}   note: {}\n", "", f.provenance.note);
    return out;
}

std::string sources_block(const std::map<std::string, std::string, std::less<>>& sources) {
    std::string out = "sources:\n";
    for (const auto& [id, citation] : sources) out += fmt::format("  {}: {}\n", id, citation);
    return out;
}


std::string to_upper(std::string_view s) {
    std::string out(s);
    for (auto& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return out;
}

// What the chip model says the chip delivers on representative LLM kernels (docs/models/chip.md).
std::string delivered_block(const catalog::ChipSpec& c) {
    const auto model = chip::make_chip_model(c);
    if (const auto* msg = std::get_if<std::string>(&model)) return "delivered (chip model): not modelled: " + *msg + "\n";
    const auto& m = std::get<chip::ChipModel>(model);
    chip::DType dtype = chip::DType::bf16;
    for (const auto d : {chip::DType::bf16, chip::DType::fp8, chip::DType::int8}) {
        if (m.supports(d)) {
            dtype = d;
            break;
        }
    }
    const auto& layer = chip::llama3_70b_layer;
    output::Table t;
    t.header = {"operation (" + std::string(chip::to_string(dtype)) + ")", "time", "delivered", "of peak", "bound"};
    t.right_aligned = {false, true, true, true, false};
    auto row = [&](const std::string& name, const chip::SequenceCost& sc, const std::string& bound) {
        t.rows.push_back({name, units::format_si(sc.time_s, units::Dimension::time),
                          units::format_si(sc.delivered_flop_per_s(), units::Dimension::compute_rate),
                          fmt::format("{:.1f}%", 100.0 * sc.delivered_flop_per_s() / m.peak(dtype)), bound});
    };
    auto one = [&](const std::string& name, const chip::Operation& op) {
        const auto c1 = chip::cost(m, op);
        row(name, chip::SequenceCost{c1.time_s, c1.flops, c1.bytes, 0}, std::string(chip::to_string(c1.bound)));
    };
    one("matrix product 8192 x 8192 x 8192", chip::Matmul{8192, 8192, 8192, 1, dtype});
    one("70B MLP gate+up, 8192 tokens (8192 x 57344 x 8192)", chip::Matmul{8192, 2 * layer.ffn, layer.hidden, 1, dtype});
    one("70B MLP down, 8192 tokens (8192 x 8192 x 28672)", chip::Matmul{8192, layer.hidden, layer.ffn, 1, dtype});
    chip::Attention prefill;
    prefill.heads_q = layer.heads_q;
    prefill.heads_kv = layer.heads_kv;
    prefill.head_dim = layer.head_dim;
    prefill.seq_q = prefill.seq_kv = 8192;
    prefill.dtype = dtype;
    one("70B attention prefill, 8192 tokens, causal", prefill);
    for (const std::int64_t batch : {1, 32, 256}) {
        const auto sc = chip::cost(m, chip::decode_layer(layer, batch, 4096, dtype));
        row(fmt::format("70B decode layer, batch {}, 4096 context", batch), sc,
            fmt::format("memory {:.0f}%", 100.0 * sc.memory_bound_s / sc.time_s));
    }
    return "delivered (chip model, Llama 3 70B shapes; docs/models/chip.md):\n" + t.render();
}

// Ratios every analyst computes next to a spec sheet.
std::string derived_block(const catalog::ChipSpec& c) {
    std::string out = "derived (from the figures above):\n";
    auto line = [&out](std::string_view label, std::optional<double> v, std::string_view unit) {
        const std::string value = v ? fmt::format("{:.4g}", *v) + (unit.empty() ? "" : " " + std::string(unit)) : "unknown";
        out += fmt::format("  {:<40} {}\n", label, value);
    };
    auto div = [](const auto& a, const auto& b) -> std::optional<double> {
        if (!a.known() || !b.known() || b.value->si() == 0.0) return std::nullopt;
        return a.value->si() / b.value->si();
    };
    for (const auto p : catalog::all_precisions) {
        const bool ops = p == catalog::Precision::int8;  // integer operations
        line(fmt::format("{} ridge point ({} per HBM byte)", to_upper(catalog::to_string(p)), ops ? "OP" : "FLOP"),
             div(c.peak_dense(p), c.hbm_bandwidth), ops ? "OP/B" : "FLOP/B");
    }
    auto per_w = [&](const auto& f) {
        const auto r = div(f, c.tdp);
        return r ? std::optional<double>(*r / 1e12) : std::nullopt;
    };
    line("BF16 per watt of TDP", per_w(c.bf16_dense), "TFLOP/s per W");
    line("FP8 per watt of TDP", per_w(c.fp8_dense), "TFLOP/s per W");
    line("scale-up bandwidth / HBM bandwidth", div(c.scale_up_bandwidth, c.hbm_bandwidth), "");
    line("scale-up / scale-out bandwidth", div(c.scale_up_bandwidth, c.scale_out_bandwidth), "");
    return out;
}

// One part figure: "1.1 kW (official, QM-UM)", or "unknown" with the reason the file gives.
template <class Q>
std::string part_figure_text(const catalog::Figure<Q>& f, units::Dimension d) {
    if (!f.known()) return "unknown";
    return units::format_si(f.value->si(), d) + " (" + std::string(catalog::to_string(f.provenance.confidence)) + ", " +
           f.provenance.source_id + ")";
}

template <class Part>
std::string part_lines(const Part& part) {
    std::string out = fmt::format("  {} ({}, {})\n", part.id, part.name, part.vendor);
    auto figure = [&out](std::string_view label, const auto& f, units::Dimension d) {
        out += fmt::format("    {:<6} {}\n", label, part_figure_text(f, d));
        if (!f.provenance.note.empty()) out += fmt::format("    {:<6}   note: {}\n", "", f.provenance.note);
    };
    figure("power", part.power, units::Dimension::power);
    figure("price", part.price, units::Dimension::money);
    std::vector<std::string> cited;
    for (const auto& id : {part.power.provenance.source_id, part.price.provenance.source_id}) {
        const auto it = part.sources.find(id);
        if (id.empty() || it == part.sources.end() || std::find(cited.begin(), cited.end(), id) != cited.end()) continue;
        cited.push_back(id);
        out += fmt::format("    {}: {}\n", it->first, it->second);
    }
    return out;
}

// Network power and price, tier by tier: count x the part's figure (topo::network_cost), and what
// keeps a total unknown.
std::string network_cost_block(const topo::Metrics& m, const catalog::TopologyParts& parts) {
    const auto cost = topo::network_cost(m, aggregate::cost_inputs(parts));
    auto watts = [](std::optional<double> w) { return w ? units::format_si(*w, units::Dimension::power) : std::string("unknown"); };
    auto usd = [](std::optional<double> p) { return p ? units::format_si(*p, units::Dimension::money) : std::string("unknown"); };
    auto times = [](std::int64_t n, const auto& f) {
        return f.known() ? std::optional<double>(static_cast<double>(n) * f.value->si()) : std::nullopt;
    };
    output::Table t;
    t.header = {"level", "switch tier", "count", "part", "power each", "power", "price each", "price"};
    t.right_aligned = {false, false, true, false, true, true, true, true};
    for (const auto& s : m.switch_counts) {
        const auto it = parts.switches.find(s.name);
        if (it == parts.switches.end()) {
            t.rows.push_back({s.level, s.name, std::to_string(s.count), "(none named)", "unknown", "unknown", "unknown",
                              "unknown"});
            continue;
        }
        const auto& p = *it->second;
        t.rows.push_back({s.level, s.name, std::to_string(s.count), p.id,
                          watts(p.power.known() ? std::optional<double>(p.power.value->si()) : std::nullopt),
                          watts(times(s.count, p.power)),
                          usd(p.price.known() ? std::optional<double>(p.price.value->si()) : std::nullopt),
                          usd(times(s.count, p.price))});
    }
    if (m.transceivers > 0 || parts.transceiver) {
        const auto* p = parts.transceiver.get();
        t.rows.push_back(
            {"", "optical transceivers", std::to_string(m.transceivers), p ? p->id : "(none named)",
             p ? watts(p->power.known() ? std::optional<double>(p->power.value->si()) : std::nullopt) : "unknown",
             p ? watts(times(m.transceivers, p->power)) : "unknown",
             p ? usd(p->price.known() ? std::optional<double>(p->price.value->si()) : std::nullopt) : "unknown",
             p ? usd(times(m.transceivers, p->price)) : "unknown"});
    }
    const auto per_chip = [&](std::optional<double> v) {
        return v && m.accelerators > 0 ? std::optional<double>(*v / static_cast<double>(m.accelerators)) : std::nullopt;
    };
    const auto power = cost.power ? std::optional<double>(cost.power->si()) : std::nullopt;
    t.rows.push_back({"total", "", "", "", "", watts(power), "", usd(cost.price)});
    t.rows.push_back({"per chip", "", "", "", "", watts(per_chip(power)), "", usd(per_chip(cost.price))});
    std::string out = "network power and price (switches and optical transceivers; parts named in the system file's "
                      "'topology.parts'):\n" + t.render();
    // What keeps a total unknown, by part (topo::network_cost says it by tier).
    std::vector<std::string> missing;
    auto add = [&missing](std::string what) {
        if (std::find(missing.begin(), missing.end(), what) == missing.end()) missing.push_back(std::move(what));
    };
    for (const auto& s : m.switch_counts) {
        if (s.count == 0) continue;
        const auto it = parts.switches.find(s.name);
        if (it == parts.switches.end()) {
            add("switch tier '" + s.name + "': no part named");
            continue;
        }
        if (!it->second->power.known()) add(it->second->id + ": power unknown");
        if (!it->second->price.known()) add(it->second->id + ": price unknown");
    }
    if (m.transceivers > 0 && !parts.transceiver) add("optical transceivers: no part named");
    if (m.transceivers > 0 && parts.transceiver) {
        if (!parts.transceiver->power.known()) add(parts.transceiver->id + ": power unknown");
        if (!parts.transceiver->price.known()) add(parts.transceiver->id + ": price unknown");
    }
    if (!missing.empty()) {
        out += "unknown because of:\n";
        for (const auto& w : missing) out += "  " + w + "\n";
    }
    if (!parts.empty()) {
        out += "parts (power and price per part, with their sources):\n";
        std::vector<std::string> seen;
        for (const auto& [tier, p] : parts.switches) {
            if (std::find(seen.begin(), seen.end(), p->id) != seen.end()) continue;
            seen.push_back(p->id);
            out += part_lines(*p);
        }
        if (parts.transceiver) out += part_lines(*parts.transceiver);
    }
    return out;
}

}  // namespace

std::string list_chips(const catalog::Catalog& cat) {
    output::Table t;
    t.header = {"id", "vendor", "year", "status", "BF16", "FP8", "FP4", "HBM", "HBM BW", "scale-up 1-way", "TDP"};
    t.right_aligned = {false, false, false, false, true, true, true, true, true, true, true};
    for (const auto& [id, c] : cat.chips) {
        std::vector<std::string> row{id, c.vendor, std::to_string(c.year), c.status};
        catalog::for_each_figure(c, [&](const FigureInfo& info, const auto& f) {
            static constexpr std::array<std::string_view, 7> columns{
                "bf16_dense", "fp8_dense", "fp4_dense", "hbm_capacity", "hbm_bandwidth", "scale_up_bandwidth", "tdp"};
            if (std::find(columns.begin(), columns.end(), info.name) != columns.end()) row.push_back(value_text(info, f, false));
        });
        t.rows.push_back(std::move(row));
    }
    return t.render() + "(dense FLOP/s; 'unknown' = not public; 'clustersim show chip ID' for sources)\n";
}

std::string list_systems(const catalog::Catalog& cat) {
    output::Table t;
    t.header = {"id", "vendor", "year", "chip", "chips", "scale-up domain", "power all-in", "name"};
    t.right_aligned = {false, false, false, false, true, true, true, false};
    for (const auto& [id, s] : cat.systems) {
        t.rows.push_back({id, s.vendor, std::to_string(s.year), s.chip_id,
                          value_text(catalog::system_figures[0], s.chip_count),
                          value_text(catalog::system_figures[1], s.scale_up_domain),
                          value_text(catalog::system_figures[4], s.power_all_in), s.name});
    }
    return t.render();
}

std::string list_topologies(const topo::BuilderRegistry& registry) {
    output::Table t;
    t.header = {"builder", "description"};
    for (const auto& e : registry.entries()) t.rows.push_back({e.name, e.description});
    return t.render() + "(keys of each: docs/scenario-format.md#topology; presets: 'clustersim show topology SYSTEM')\n";
}

std::string list_algorithms(const comm::AlgorithmRegistry& registry) {
    output::Table t;
    t.header = {"algorithm", "collectives", "description"};
    for (const auto& e : registry.entries()) {
        std::vector<std::string> kinds;
        for (const auto c : e.collectives) kinds.emplace_back(comm::to_string(c));
        t.rows.push_back({e.name, diag::join_names(kinds), e.description});
    }
    return t.render() + "(the tuner picks the fastest that applies; force one with a comm section's 'algorithm' or --algorithm;"
                        " docs/models/comm.md#algorithms)\n";
}

std::string show_topology(const std::string& name, const catalog::TopologySpec& spec, const topo::Topology* built,
                          double build_seconds) {
    const auto m = topo::analyze(spec.params);
    auto rate = [](units::BytesPerSecond b) { return units::format_si(b.si(), units::Dimension::data_rate); };
    std::string out = fmt::format("topology of {}: {}\n", name, spec.builder);
    if (!spec.source.empty()) out += "source: " + spec.source + "\n";
    if (!spec.note.empty()) out += "assumed: " + spec.note + "\n";
    out += fmt::format("accelerators {}, spares {}, switches {}, links {} ({} optical), optical transceivers {}\n",
                       m.accelerators, m.spares, m.switches, m.links, m.optical_links, m.transceivers);
    out += fmt::format("whole system: bisection {} one way ({} per chip of one half), diameter {} hops, average {:.3f} hops\n\n",
                       m.bisection ? rate(*m.bisection) : "unknown",
                       m.bisection && m.accelerators >= 2 ? rate(*m.bisection / (static_cast<double>(m.accelerators) / 2.0))
                                                         : "unknown",
                       m.diameter, m.average_hops);
    output::Table levels;
    levels.header = {"level", "plane", "group size", "groups", "planes", "injection/chip (1-way)", "diameter", "avg hops",
                     "bisection/group (1-way)"};
    levels.right_aligned = {false, false, true, true, true, true, true, true, true};
    for (const auto& l : m.levels) {
        levels.rows.push_back({l.name, std::string(topo::to_string(l.plane_kind)), std::to_string(l.group_size),
                               std::to_string(l.groups), std::to_string(l.planes), rate(l.injection),
                               std::to_string(l.diameter), fmt::format("{:.3f}", l.average_hops),
                               l.bisection ? rate(*l.bisection) : "unknown"});
    }
    output::Table switches;
    switches.header = {"level", "switch tier", "tier", "radix", "count"};
    switches.right_aligned = {false, false, true, true, true};
    for (const auto& s : m.switch_counts) {
        switches.rows.push_back({s.level, s.name, std::to_string(s.tier), std::to_string(s.radix), std::to_string(s.count)});
    }
    output::Table links;
    links.header = {"level", "links", "bandwidth (1-way)", "medium", "count", "transceivers"};
    links.right_aligned = {false, false, true, false, true, true};
    for (const auto& l : m.link_counts) {
        links.rows.push_back({l.level, l.name, rate(l.spec.bandwidth), std::string(topo::to_string(l.spec.medium)),
                              std::to_string(l.count), std::to_string(l.transceivers)});
    }
    out += levels.render() + "\n" + switches.render() + "\n" + links.render();
    out += "\n" + network_cost_block(m, spec.parts);
    if (built != nullptr) {
        const auto g = topo::count_graph(*built);
        const bool same = g.accelerators == m.accelerators && g.switches == m.switches && g.links == m.links &&
                          g.transceivers == m.transceivers;
        out += fmt::format("\nbuilt graph: {} nodes, {} links, {:.1f} MiB, {:.3f} s; counts {} the closed form\n",
                           built->node_count(), built->link_count(),
                           static_cast<double>(built->memory_bytes()) / 1048576.0, build_seconds,
                           same ? "match" : "DIFFER from");
    }
    return out;
}

std::string list_workloads(const catalog::Catalog& cat) {
    output::Table t;
    t.header = {"id", "name", "layers", "hidden", "params", "type"};
    t.right_aligned = {false, false, true, true, true, false};
    for (const auto& [id, w] : cat.workloads) {
        std::string type = "dense";
        if (w->moe) {
            type = fmt::format("MoE, {} of {} experts", w->moe->top_k, w->moe->experts);
            if (w->moe->shared_experts > 0) type += fmt::format(" + {} shared", w->moe->shared_experts);
        }
        t.rows.push_back({id, w->name, std::to_string(w->layers), std::to_string(w->hidden),
                          w->published_params ? fmt::format("{:.5g} B", *w->published_params / 1e9) : "unknown", type});
    }
    return t.render() + "(params: total as published, in billions; 'clustersim show workload ID' for every field and the sources)\n";
}

std::string list_reliability(const catalog::Catalog& cat) {
    output::Table t;
    t.header = {"id", "accelerator", "host", "NIC", "switch", "transceiver", "link", "rack", "software", "planned", "restart", "name"};
    t.right_aligned = {false, true, true, true, true, true, true, true, true, true, true, false};
    // MTBFs in hours as the sources state them, the restart in minutes.
    const auto hours = [](const catalog::Figure<units::Seconds>& f) {
        return f.known() ? fmt::format("{:.3g} h", f.value->si() / 3600) : std::string("unknown");
    };
    const auto minutes = [](const catalog::Figure<units::Seconds>& f) {
        return f.known() ? fmt::format("{:.3g} min", f.value->si() / 60) : std::string("unknown");
    };
    for (const auto& [id, r] : cat.reliability) {
        t.rows.push_back({id, hours(r.accelerator_mtbf), hours(r.host_mtbf), hours(r.nic_mtbf), hours(r.switch_mtbf), hours(r.transceiver_mtbf),
                          hours(r.link_mtbf), hours(r.rack_mtbf), hours(r.software_mtbf), hours(r.planned_interval), minutes(r.restart_time),
                          r.name});
    }
    return t.render() +
           "(mean time between failures per part; rack per rack (cabinet), software per accelerator, planned per job; unknown: no "
           "failures of that kind are counted; the sources and notes are in models/reliability/ID.yaml)\n";
}

std::string show_workload(const catalog::WorkloadSpec& w) {
    std::string out = fmt::format("{} ({}, family {})\n", w.name, w.id, w.family);
    if (!w.notes.empty()) out += "notes: " + w.notes + "\n";
    auto line = [&out](std::string_view key, const std::string& value) { out += fmt::format("  {:<22} {}\n", key, value); };
    const auto n = [](std::int64_t v) { return std::to_string(v); };
    out += "architecture (source " + w.source + "):\n";
    line("layers", n(w.layers));
    line("hidden", n(w.hidden));
    line("ffn", n(w.ffn) + (w.mlp == catalog::MlpKind::swiglu ? " (per gate/up projection)" : "") +
                    (w.moe && w.moe->dense_layers == 0 ? " (unused: every layer is MoE)" : ""));
    line("heads", n(w.heads));
    const std::string attention = w.mla ? "multi-head latent attention"
                                  : w.kv_heads == w.heads ? "multi-head attention"
                                  : w.kv_heads == 1       ? "multi-query attention"
                                                          : fmt::format("grouped-query attention, {} query heads per key-value head",
                                                                        w.kv_heads > 0 ? w.heads / w.kv_heads : 0);
    line("kv_heads", n(w.kv_heads) + " (" + attention + ")");
    line("head_dim", n(w.head_dim) + (w.head_dim * w.heads != w.hidden ? fmt::format(" (heads x head_dim = {}, hidden {})",
                                                                                     w.head_dim * w.heads, w.hidden)
                                                                       : ""));
    line("vocab", n(w.vocab));
    line("seq_len", n(w.seq_len) + " (training sequence length; scenarios may override)");
    line("mlp", w.mlp == catalog::MlpKind::gelu ? "gelu (two matrices)" : "swiglu (three matrices)");
    line("positions", w.positions == catalog::PositionKind::learned  ? "learned (a seq_len x hidden table)"
                      : w.positions == catalog::PositionKind::rotary ? "rotary (RoPE on queries and keys: a kernel, no parameters)"
                      : w.positions == catalog::PositionKind::alibi  ? "alibi (a bias inside the attention kernel: no parameters)"
                                                                      : "none (no position encoding)");
    line("tied_embeddings", w.tied_embeddings ? "true" : "false");
    line("biases", w.biases ? "true" : "false");
    if (w.mtp_depth > 0) line("mtp_depth", n(w.mtp_depth) + " multi-token-prediction module(s) in training (not in the parameter count)");
    if (w.moe) {
        out += "mixture of experts:\n";
        line("experts", n(w.moe->experts) + " routed per MoE layer");
        line("top_k", n(w.moe->top_k) + " routed per token");
        line("shared_experts", n(w.moe->shared_experts));
        line("expert_ffn", n(w.moe->expert_ffn));
        line("dense_layers", n(w.moe->dense_layers) + fmt::format(" (then {} MoE layers)", w.layers - w.moe->dense_layers));
        if (w.moe->expert_groups > 1)
            line("expert_groups", fmt::format("{} of {} experts, {} per token", n(w.moe->expert_groups),
                                              n(w.moe->experts / w.moe->expert_groups), n(w.moe->groups_per_token)));
    } else {
        out += "mixture of experts: none (dense)\n";
    }
    if (w.mla) {
        out += "multi-head latent attention:\n";
        line("q_lora_rank", n(w.mla->q_lora_rank) + (w.mla->q_lora_rank == 0 ? " (queries not compressed)" : ""));
        line("kv_lora_rank", n(w.mla->kv_lora_rank));
        line("qk_nope_head_dim", n(w.mla->qk_nope_head_dim));
        line("qk_rope_head_dim", n(w.mla->qk_rope_head_dim));
        line("v_head_dim", n(w.mla->v_head_dim));
    }
    if (w.published_params) {
        out += fmt::format("published parameters: {:.0f} ({:.5g} B)\n", *w.published_params, *w.published_params / 1e9);
        if (!w.published_params_note.empty()) out += "  note: " + w.published_params_note + "\n";
    } else {
        out += "published parameters: unknown\n";
    }
    return out + sources_block(w.sources);
}

std::string show_chip(const catalog::ChipSpec& c) {
    std::string out = fmt::format("{} ({}, {}, {}, {})\n", c.name, c.id, c.vendor, c.year, c.status);
    if (!c.notes.empty()) out += "notes: " + c.notes + "\n";
    for (const std::string_view section : {"figures", "performance"}) {
        out += section == "figures" ? "figures (dense FLOP/s; bandwidth between chips per direction):\n"
                                    : "performance-model parameters (docs/models/chip.md):\n";
        catalog::for_each_figure(c, [&](const FigureInfo& info, const auto& f) {
            if (info.section == section) out += figure_block(info, f);
        });
    }
    return out + derived_block(c) + delivered_block(c) + sources_block(c.sources);
}

std::string show_system(const catalog::Catalog& cat, const catalog::SystemSpec& s) {
    std::string out = fmt::format("{} ({}, {}, {}, {})\n", s.name, s.id, s.vendor, s.year, s.status);
    if (!s.notes.empty()) out += "notes: " + s.notes + "\n";
    out += "figures:\n";
    catalog::for_each_figure_of_system(s, [&](const FigureInfo& info, const auto& f) { out += figure_block(info, f); });
    const auto& chip = cat.chips.at(s.chip_id);
    const auto cluster = catalog::make_cluster(s, chip, std::nullopt, {});
    out += fmt::format("chip {} as this system is quoted{}:\n", s.chip_id,
                       s.chip_overrides.empty() ? "" : " (figures marked * are pinned by the system file)");
    catalog::for_each_figure(*cluster.chip, [&](const FigureInfo& info, const auto& f) {
        std::string block = figure_block(info, f);
        if (s.chip_overrides.count(info.name)) block[0] = '*';
        out += block;
    });
    out += "peak aggregates (chip figures x chip count; network figures from the topology):\n";
    const auto agg = aggregate::compute_aggregates(cluster);
    aggregate::for_each_metric(agg, [&](const aggregate::MetricInfo& m, std::optional<double> v) {
        const std::string text = output::format_metric(m, v);
        out += fmt::format("  {:<56} {}\n", m.description, text);
    });
    if (s.topology) {
        out += "network power and price by part, and what keeps them unknown: 'clustersim show topology " + s.id + "'\n";
    }
    return out + sources_block(s.sources) + "chip sources: see 'clustersim show chip " + s.chip_id + "'\n";
}

}  // namespace clustersim::app
