// The step-time model and the plan search (sim/train/step.cpp, search.cpp): the pipeline bubble
// formula, the lower bound the search prunes with, branch and bound against brute force,
// determinism across thread counts, monotonicity, and the plan checks' messages.
#include <doctest/doctest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <map>
#include <optional>
#include <memory>
#include <variant>

#include <sstream>

#include "app/cli.hpp"
#include "app/validate_cmd.hpp"
#include "chip/transformer_layer.hpp"
#include "output/csv.hpp"
#include "output/summary.hpp"
#include "units/format.hpp"
#include "run/runner.hpp"
#include "scenario/scenario_loader.hpp"
#include "test_support.hpp"
#include "train/search.hpp"
#include "train/step.hpp"

using namespace clustersim;

namespace {

/// A 32-GPU H100 cluster (4 HGX servers on an NDR leaf) training Llama 3 8B, 64 sequences per step.
constexpr const char* small_job = R"(
format: 1
scenario: step-test
cases:
  - name: job
    chip: nvidia_h100_sxm
    count: 32
    topology:
      builder: scale_up_scale_out
      domains: 4
      domain_size: 8
      scale_up_name: nvlink
      scale_up:
        tiers:
          - {name: nvswitch, radix: 8, down_link: {bandwidth: "112.5 GB/s"}}
        planes: 4
      scale_out_name: infiniband
      scale_out:
        tiers:
          - {name: ib_leaf, radix: 64, down_link: {bandwidth: "400 Gb/s", medium: optical}}
    training:
      workload: llama3_8b
      global_batch: 64
      seq_len: 4096
)";

struct Fixture {
    scenario::Scenario sc;
    std::unique_ptr<train::TrainingCluster> cluster;
    [[nodiscard]] const train::TrainingSpec& spec() const { return *sc.cases.front().training; }
};

Fixture make(const std::string& text = small_job) {
    Fixture f{scenario::load_scenario_text(text, "step-test.yaml", test::source_catalog()), nullptr};
    const auto& c = f.sc.cases.front();
    auto graph = std::make_shared<const topo::Topology>(topo::build(c.job_network->params));
    auto made = run::make_training_cluster(*c.cluster.chip, c.cluster.chip_count, graph);
    REQUIRE(std::holds_alternative<std::unique_ptr<train::TrainingCluster>>(made));
    f.cluster = std::move(std::get<std::unique_ptr<train::TrainingCluster>>(made));
    return f;
}

train::Plan plan(std::int64_t tp, std::int64_t pp, std::int64_t dp, std::int64_t v = 1, std::int64_t mb = 1) {
    train::Plan p;
    p.tp = tp;
    p.pp = pp;
    p.dp = dp;
    p.virtual_stages = v;
    p.micro_batch = mb;
    p.sequence_parallel = tp > 1;
    p.optimizer = train::Optimizer::zero1;
    return p;
}

train::StepResult step_of(const Fixture& f, const train::Plan& p,
                          train::Fidelity fidelity = train::Fidelity::exact) {
    auto r = train::evaluate(f.spec(), p, *f.cluster, false, fidelity);
    if (auto* rej = std::get_if<train::Rejection>(&r)) FAIL(rej->reason);
    return std::get<train::StepResult>(r);
}

/// A case's results.csv row, by column name (the cells these tests read hold no commas).
std::map<std::string, std::string, std::less<>> row_cells(const run::CaseResult& c) {
    const std::string row = output::results_row(c, nullptr);
    const auto cols = output::results_columns();
    std::map<std::string, std::string, std::less<>> out;
    std::size_t at = 0;
    for (const auto& name : cols) {
        const std::size_t end = std::min(row.find_first_of(",\n", at), row.size());
        out[name] = row.substr(at, end - at);
        at = end + 1;
    }
    return out;
}

}  // namespace

TEST_CASE("train: the pipeline bubble is one micro-batch through the other ranks, (pp - 1) / v micro-batch times at most") {
    const Fixture f = make();
    for (const auto& [pp, v] : {std::pair{4, 1}, std::pair{4, 2}, std::pair{2, 4}, std::pair{8, 1}}) {
        const auto s = step_of(f, plan(2, pp, 32 / (2 * pp), v));
        const auto& b = s.time;
        const double per_micro_batch = (b.compute_s + b.tp_comm_s + b.cp_comm_s + b.ep_comm_s + b.pp_comm_s) /
                                       static_cast<double>(s.micro_batches);
        // Equal ranks would give (pp - 1) / v micro-batch times (Narayanan et al., SC21, 2.2); the
        // first rank's embedding and the last's output layer make the ranks unequal, the slowest
        // (the last: Llama 3's 128K vocabulary) sets the pace and the others fill and drain faster.
        const double equal_ranks = per_micro_batch * (pp - 1) / v;
        CHECK(b.bubble_s < equal_ranks);
        CHECK(b.bubble_s > 0.5 * equal_ranks);
        CHECK(b.step_s == doctest::Approx(b.compute_s + b.tp_comm_s + b.cp_comm_s + b.ep_comm_s + b.pp_comm_s +
                                          b.bubble_s + b.offload_s + b.dp_comm_s + b.optimizer_s)
                              .epsilon(1e-12));
    }
    // No pipeline, no bubble and no pipeline sends.
    const auto flat = step_of(f, plan(8, 1, 4));
    CHECK(flat.time.bubble_s == 0);
    CHECK(flat.time.pp_comm_s == 0);
}

TEST_CASE("train: split pipeline sends carry 1/t of the activation and are gathered again over the tensor-parallel group") {
    // Megatron-LM's scatter/gather optimisation (SC21 section 4.1) and DeepSpeed's partitioned sends: without
    // sequence parallelism each of the t ranks sends its 1/t over its own link to the next stage (here across
    // InfiniBand, pp 4 over the 4 servers) and the receiver all-gathers the tensor before its kernels read it.
    Fixture whole = make();
    Fixture split = make();
    split.sc.cases.front().training->execution.split_pipeline_sends = true;
    train::Plan p = plan(8, 4, 1);
    p.sequence_parallel = false;
    const auto w = step_of(whole, p);
    const auto s = step_of(split, p);
    const double m = static_cast<double>(w.micro_batches);
    // Each micro-batch crosses the stage boundary twice (activation forward, gradient backward).
    CHECK(w.time.pp_comm_s == doctest::Approx(2 * m * w.pp.time_s));
    CHECK(s.pp.time_s < w.pp.time_s / 4);  // the send: an eighth of the bytes, plus its latency
    // The gather: the whole activation (4,096 tokens x 4,096 x 2 bytes), 7/8 of it into each rank of the server
    // over its NVLink (4 planes of 112.5 GB/s), at least; a gather of 1/8 of it, or none, would be far below.
    const double gather_s = s.time.pp_comm_s / (2 * m) - s.pp.time_s;
    CHECK(gather_s >= 7.0 / 8 * 4096.0 * 4096 * 2 / 450e9);
    CHECK(s.time.pp_comm_s < 0.5 * w.time.pp_comm_s);
    CHECK(s.time.compute_s == doctest::Approx(w.time.compute_s));
    // With sequence parallelism the activation is already split by t: the switch changes nothing.
    p.sequence_parallel = true;
    CHECK(step_of(split, p).time.pp_comm_s == doctest::Approx(step_of(whole, p).time.pp_comm_s));
}

TEST_CASE("train: the column-parallel backward exchanges overlap their own products (Megatron-LM's asynchronous linear layers)") {
    // Per layer and micro-batch. Without sequence parallelism: the 2 forward all-reduces exposed, the 2 backward
    // ones under the QKV and first MLP products' weight gradients. With it: the forward pass's 2 gathers and 2
    // reduce-scatters and the backward pass's 2 output-gradient gathers exposed, the 2 re-gathers and the 2
    // input-gradient reduce-scatters overlapped. Overlapped, an exchange costs at least its share of the compute
    // units and at most its whole time.
    Fixture sync = make();
    Fixture async = make();
    async.sc.cases.front().training->execution.overlap_tp_backward = true;
    for (const bool sp : {false, true}) {
        train::Plan p = plan(8, 1, 4);
        p.sequence_parallel = sp;
        p.recompute = train::Recompute::none;
        const auto s = step_of(sync, p);
        const auto a = step_of(async, p);
        CAPTURE(sp);
        CHECK(a.time.tp_comm_s < s.time.tp_comm_s);
        if (sp) {
            CHECK(a.time.tp_comm_s > 0.5 * s.time.tp_comm_s);  // the output-gradient gathers stay exposed
        } else {
            CHECK(a.time.tp_comm_s >= 0.5 * s.time.tp_comm_s);  // half the all-reduces, plus their share
            CHECK(a.time.tp_comm_s < 0.75 * s.time.tp_comm_s);
        }
        CHECK(a.time.compute_s == doctest::Approx(s.time.compute_s));
    }
    // Full recomputation: the recomputed forward pass's exchanges are exposed too (4 of 6 all-reduces).
    train::Plan p = plan(8, 1, 4);
    p.sequence_parallel = false;
    p.recompute = train::Recompute::full;
    const auto s = step_of(sync, p);
    const auto a = step_of(async, p);
    CHECK(a.time.tp_comm_s >= 4.0 / 6 * s.time.tp_comm_s);
    CHECK(a.time.tp_comm_s < s.time.tp_comm_s);
}

TEST_CASE("train: with unequal stages the fill and drain run at each rank's own pace") {
    // pp2: the bubble is the faster rank's micro-batch time. Moving one layer from the first stage
    // (embedding) to the last (output layer, the slower) slows the pace by one layer's time and
    // shortens the bubble by as much.
    const Fixture f = make();
    auto split = [&](std::int64_t first, std::int64_t last) {
        train::Plan p = plan(2, 2, 8);
        p.layers_per_stage = {first, last};
        const auto s = step_of(f, p);
        const auto& b = s.time;
        const double per_mb = (b.compute_s + b.tp_comm_s + b.pp_comm_s) / static_cast<double>(s.micro_batches);
        return std::pair{per_mb, b.bubble_s};
    };
    const auto [even_mb, even_bubble] = split(16, 16);
    const auto [uneven_mb, uneven_bubble] = split(15, 17);
    const double layer_s = uneven_mb - even_mb;
    CHECK(layer_s > 0);
    CHECK(even_bubble - uneven_bubble == doctest::Approx(layer_s).epsilon(1e-9));
    CHECK(even_bubble < even_mb);  // the first rank (embedding + 16 layers) is faster than the last
}

TEST_CASE("train: DualPipe runs stages r and pp - 1 - r on rank r, with a bubble of (pp/2 - 1)(F&B + B - 3W)") {
    const Fixture f = make();  // Llama 3 8B: 32 layers, 8 per stage at pp 4; the embedding on stage 0, the head on 3
    auto dual = [](train::Plan p) {
        p.schedule = train::PipelineSchedule::dualpipe;
        return p;
    };
    CHECK(train::describe(dual(plan(2, 4, 4))) == "tp2 pp4 dp4 dualpipe mb1 sp zero1");
    CHECK(train::rank_stages(dual(plan(2, 4, 4)), 0) == std::vector<std::int64_t>{0, 3});
    CHECK(train::rank_stages(dual(plan(2, 4, 4)), 2) == std::vector<std::int64_t>{2, 1});
    CHECK(train::rank_stages(plan(2, 4, 4), 2) == std::vector<std::int64_t>{2});
    // pp 2: each rank holds both stages; no fill and drain.
    const auto two = step_of(f, dual(plan(2, 2, 8)));
    CHECK(two.time.bubble_s == 0);
    // pp 4: one F&B + B - 3W, against 1F1B's three micro-batch times. A micro-batch's time T (its kernels and
    // exposed communication) is F&B; B - 3W lies between -2B and B, and B < T.
    const auto one = step_of(f, plan(2, 4, 4));
    const auto dp4 = step_of(f, dual(plan(2, 4, 4)));
    auto per_mb = [](const train::StepResult& s) {
        const auto& b = s.time;
        return (b.compute_s + b.tp_comm_s + b.cp_comm_s + b.ep_comm_s + b.pp_comm_s) / static_cast<double>(s.micro_batches);
    };
    // 1F1B: the slowest rank (the head's) sets the pace; the other three fill and drain, faster.
    CHECK(one.time.bubble_s < 3 * per_mb(one));
    CHECK(one.time.bubble_s > 2 * per_mb(one));
    // Exactly: rank 0 (stages 0 and 3: 8 layers each, the embedding and the head averaged) is the slowest;
    // its B and W from the kernels as the step costs them.
    const auto& w = *f.spec().workload;
    const train::Shard shard{1, 4096, 2, 1, 1, true, chip::DType::bf16};
    const auto& chip = f.cluster->chip();
    const auto layer = train::layer_ops(w, train::LayerKind::dense, shard, train::Recompute::none);
    const auto embed = train::embedding_ops(w, shard);
    const auto head = train::head_ops(w, shard);
    auto t = [&chip](const std::vector<chip::Operation>& ops) { return chip::cost(chip, ops).time_s; };
    const double B = 8 * t(layer.backward) + (t(embed.backward) + t(head.backward)) / 2;
    const double W = 8 * t(layer.weight_gradients) + t(head.weight_gradients) / 2;
    CHECK(dp4.time.bubble_s == doctest::Approx(per_mb(dp4) + B - 3 * W).epsilon(1e-9));
    CHECK(dp4.time.bubble_s < 0.5 * one.time.bubble_s);
    // The first and last stages share rank 0 and rank 3: the embedding and the head are averaged over its
    // micro-batches, so the slowest rank is faster than 1F1B's last stage.
    CHECK(dp4.time.compute_s < one.time.compute_s);
    CHECK(dp4.time.step_s < one.time.step_s);
    // Memory: two stages' parameters on each rank, pp + 1 micro-batches of one stage's activations.
    const train::Memory m1 = train::memory_per_chip(*f.spec().workload, plan(2, 4, 4), 4096, chip::DType::bf16);
    const train::Memory m2 = train::memory_per_chip(*f.spec().workload, dual(plan(2, 4, 4)), 4096, chip::DType::bf16);
    CHECK(m2.weights > 1.7 * m1.weights);
    CHECK(m2.activations == doctest::Approx(m1.activations * 5 / 4).epsilon(0.03));
    // What DualPipe needs.
    auto problem = [&f](const train::Plan& p) {
        const auto problems = train::plan_problems(f.spec(), p, *f.cluster);
        REQUIRE(problems.size() == 1);
        return problems.front().reason;
    };
    CHECK(problem(dual(plan(8, 1, 4))) == "dualpipe needs an even pp of at least 2 (rank r holds stages r and pp - 1 - r), got pp 1");
    CHECK(problem(dual(plan(2, 4, 4, 2))) == "dualpipe has its own two stages per rank: virtual_stages must be 1");
    CHECK(problem(dual(plan(2, 4, 4, 1, 16))) ==
          "dualpipe feeds half the micro-batches from each end: it needs an even number of at least 2 x pp = 8 "
          "(deepseek-ai/DualPipe), got 1 micro-batches");
    CHECK(problem(dual(plan(2, 4, 4, 1, 4))) ==  // 4 micro-batches, even but fewer than 2 x 4
          "dualpipe feeds half the micro-batches from each end: it needs an even number of at least 2 x pp = 8 "
          "(deepseek-ai/DualPipe), got 4 micro-batches");
}

TEST_CASE("train: tokens per second, MFU and the step time agree") {
    const Fixture f = make();
    const auto s = step_of(f, plan(2, 2, 8, 2, 2));
    const double tokens = 64.0 * 4096.0;
    CHECK(s.tokens_per_s == doctest::Approx(tokens / s.time.step_s));
    const double peak = f.cluster->chip().peak(chip::DType::bf16) * 32;
    CHECK(s.mfu == doctest::Approx(s.model_flops / (s.time.step_s * peak)));
    CHECK(s.hfu >= s.mfu);
    CHECK(s.mfu < 1.0);
    CHECK(s.mfu > 0.2);
}

TEST_CASE("train: the lower-bound evaluation never exceeds the exact one (the search prunes with it)") {
    const Fixture f = make();
    const auto plans = train::enumerate_plans(train::default_space(f.spec(), *f.cluster), f.spec(), *f.cluster);
    REQUIRE(plans.size() > 100);
    std::size_t compared = 0;
    for (std::size_t i = 0; i < plans.size(); i += 7) {
        auto lo = train::evaluate(f.spec(), plans[i], *f.cluster, true, train::Fidelity::lower_bound);
        auto ex = train::evaluate(f.spec(), plans[i], *f.cluster, true, train::Fidelity::exact);
        REQUIRE(lo.index() == ex.index());  // the same plans are rejected either way
        if (lo.index() != 0) continue;
        CHECK(std::get<0>(lo).time.step_s <= std::get<0>(ex).time.step_s * (1 + 1e-12));
        ++compared;
    }
    CHECK(compared > 20);
}

TEST_CASE("train: the search finds the brute-force optimum and the same top plans") {
    const Fixture f = make();
    const auto space = train::default_space(f.spec(), *f.cluster);
    const auto found = train::search(f.spec(), *f.cluster, space, 5);
    REQUIRE(found.best.size() == 5);
    // Brute force: every plan, exact costs (full recomputation of the fewest layers that fit).
    auto plans = train::enumerate_plans(space, f.spec(), *f.cluster);
    std::vector<std::pair<double, std::size_t>> all;
    std::size_t partial = 0;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        if (train::evaluate(f.spec(), plans[i], *f.cluster).index() != 0) continue;
        plans[i] = train::fewest_recomputed_layers(f.spec(), plans[i], *f.cluster);
        if (plans[i].recompute_layers > 0) ++partial;
        auto r = train::evaluate(f.spec(), plans[i], *f.cluster);
        REQUIRE(r.index() == 0);
        all.emplace_back(std::get<0>(r).time.step_s, i);
    }
    CHECK(partial > 0);
    std::sort(all.begin(), all.end());
    CHECK(found.feasible == static_cast<std::int64_t>(all.size()));
    CHECK(found.evaluated == static_cast<std::int64_t>(plans.size()));
    CHECK(found.exact_evaluations <= found.feasible);
    for (std::size_t k = 0; k < 5; ++k) {
        CHECK(found.best[k].plan == plans[all[k].second]);
        CHECK(found.best[k].time.step_s == all[k].first);
    }
    // Every rejection is counted once.
    std::int64_t rejected = 0;
    for (const auto& [category, r] : found.rejected) {
        rejected += r.count;
        CHECK_FALSE(r.example.empty());
    }
    CHECK(rejected + found.feasible == found.evaluated);
}

TEST_CASE("train: full recomputation of the fewest layers that fit is the fastest of its family") {
    const Fixture f = make();
    std::size_t checked = 0;
    for (const auto& [tp, pp] : {std::pair{1, 1}, std::pair{2, 1}, std::pair{1, 2}, std::pair{4, 2}}) {
        for (const std::int64_t mb : {1, 2, 4}) {
            train::Plan p = plan(tp, pp, 32 / (tp * pp), 1, mb);
            p.recompute = train::Recompute::full;
            const train::Plan fewer = train::fewest_recomputed_layers(f.spec(), p, *f.cluster);
            // Brute force over every layer count of a chunk: the fastest that fits.
            const std::int64_t layers = train::max_chunk_layers(*f.spec().workload, p);
            std::int64_t best_n = -1;
            double best_s = 0;
            for (std::int64_t n = 1; n <= layers; ++n) {
                train::Plan q = p;
                q.recompute_layers = n == layers ? 0 : n;
                auto r = train::evaluate(f.spec(), q, *f.cluster);
                if (r.index() != 0) continue;
                const double s = std::get<0>(r).time.step_s;
                if (best_n < 0 || s < best_s) {
                    best_n = q.recompute_layers;
                    best_s = s;
                }
            }
            if (best_n < 0) {
                CHECK(fewer == p);  // nothing fits: the plan as given
                continue;
            }
            CHECK(fewer.recompute_layers == best_n);
            if (best_n > 0) ++checked;
        }
    }
    CHECK(checked > 0);
    // Plans it leaves alone: not full, or already limited.
    train::Plan sel = plan(2, 1, 16);
    sel.recompute = train::Recompute::selective;
    CHECK(train::fewest_recomputed_layers(f.spec(), sel, *f.cluster) == sel);
    train::Plan given = plan(1, 1, 32);
    given.recompute = train::Recompute::full;
    given.recompute_layers = 3;
    CHECK(train::fewest_recomputed_layers(f.spec(), given, *f.cluster) == given);
}

TEST_CASE("train: attention: flash_triton runs the chip's Triton-kernel figures, and only on a chip that has them") {
    Fixture f = make();
    const auto p = plan(2, 1, 16);
    const auto standard = step_of(f, p);
    f.sc.cases.front().training->execution.attention_kernel = chip::AttentionKernel::flash_triton;
    const auto triton = step_of(f, p);
    CHECK(triton.time.compute_s > standard.time.compute_s);
    CHECK(triton.time.step_s > standard.time.step_s);
    CHECK(triton.hardware_flops == standard.hardware_flops);  // the same work, slower
    CHECK(triton.memory.total() == standard.memory.total());
    // A chip without the figures: the plan cannot run, and says why.
    std::string text = small_job;
    text.replace(text.find("nvidia_h100_sxm"), std::string("nvidia_h100_sxm").size(), "nvidia_b200_hgx");
    Fixture b = make(text);
    b.sc.cases.front().training->execution.attention_kernel = chip::AttentionKernel::flash_triton;
    auto r = train::evaluate(b.spec(), p, *b.cluster);
    REQUIRE(std::holds_alternative<train::Rejection>(r));
    CHECK(std::get<train::Rejection>(r).category == "attention");
    CHECK(std::get<train::Rejection>(r).reason.find("has no figures for FlashAttention's Triton kernel") != std::string::npos);
}

TEST_CASE("train: elementwise: eager is slower than fused, and only for the Llama reference code") {
    Fixture f = make();
    const auto p = plan(1, 1, 32);
    const auto fused = step_of(f, p);
    f.sc.cases.front().training->execution.eager_elementwise = true;
    const auto eager = step_of(f, p);
    CHECK(eager.time.compute_s > fused.time.compute_s);
    CHECK(eager.hardware_flops == fused.hardware_flops);
    CHECK(eager.memory.activations > fused.memory.activations);
    // A GeLU, LayerNorm workload (GPT-3 shapes): refused, with the reason.
    std::string text = small_job;
    text.replace(text.find("workload: llama3_8b"), std::string("workload: llama3_8b").size(), "workload: megatron_gpt_1.7b");
    Fixture g = make(text);
    g.sc.cases.front().training->execution.eager_elementwise = true;
    auto r = train::evaluate(g.spec(), plan(1, 1, 32), *g.cluster);
    REQUIRE(std::holds_alternative<train::Rejection>(r));
    CHECK(std::get<train::Rejection>(r).category == "elementwise");
    CHECK(std::get<train::Rejection>(r).reason.find("elementwise: eager describes the Llama reference code") != std::string::npos);
}

namespace {
/// The small job on a chip with a host link of `bytes_per_s` (and `hbm` of HBM, when given) and `host` bytes of
/// host memory per chip.
Fixture with_host_link(double bytes_per_s, std::optional<double> host = 1e12, std::optional<double> hbm = std::nullopt) {
    Fixture f = make();
    catalog::ChipSpec chip = *f.sc.cases.front().cluster.chip;
    chip.host_link_bandwidth.value = units::BytesPerSecond(bytes_per_s);
    if (hbm) chip.hbm_capacity.value = units::Bytes(*hbm);
    const auto& c = f.sc.cases.front();
    auto made = run::make_training_cluster(chip, c.cluster.chip_count,
                                           std::make_shared<const topo::Topology>(topo::build(c.job_network->params)), host);
    REQUIRE(std::holds_alternative<std::unique_ptr<train::TrainingCluster>>(made));
    f.cluster = std::move(std::get<std::unique_ptr<train::TrainingCluster>>(made));
    return f;
}

train::Plan offloading(train::Plan p, std::int64_t layers) {
    p.offload_layers = layers;
    return p;
}
}  // namespace

TEST_CASE("train: activation offloading moves the first layers' activations to the host, hidden while the link keeps up") {
    // Llama 3 8B on 32 H100s, one stage, nothing recomputed: 16 of 32 layers offloaded, over a host link of the given rate.
    const auto p = plan(1, 1, 32);
    const Fixture fast = with_host_link(10e12);
    const auto kept = step_of(fast, p);
    const auto off = step_of(fast, offloading(p, 16));
    const auto& w = *fast.spec().workload;
    const train::Shard shard{p.micro_batch, fast.spec().seq_len, 1, 1, 1, false, chip::DType::bf16};
    const double layer = train::layer_activation_bytes(w, train::LayerKind::dense, shard, train::Recompute::none);
    CHECK(off.memory.offloaded == doctest::Approx(16 * layer));
    CHECK(kept.memory.activations - off.memory.activations == doctest::Approx(16 * layer));
    CHECK(off.memory.weights == kept.memory.weights);
    CHECK(train::describe(off.plan) == "dp32 mb1 zero1 offload:16");
    // A fast link copies 16 layers within 30 layers' kernels: nothing exposed, the step unchanged.
    CHECK(off.time.offload_s == 0);
    CHECK(off.time.step_s == doctest::Approx(kept.time.step_s));
    // The H100's PCIe link (64 GB/s) cannot in the forward pass; the backward pass, twice as long, hides them.
    const auto pcie = step_of(with_host_link(64e9), offloading(p, 16));
    CHECK(pcie.time.offload_s > 0);
    CHECK(pcie.time.step_s == doctest::Approx(kept.time.step_s + pcie.time.offload_s));
    // A link 1,000 times slower exposes both passes' copies beyond 30 of 32 layers' kernels, the layers' alone
    // (the embedding and the head hide nothing): per micro-batch (C - 30 t_f) + (C - 30 t_b).
    const Fixture slow_f = with_host_link(64e6);
    const auto slow = step_of(slow_f, offloading(p, 16));
    const auto ops = train::layer_ops(w, train::LayerKind::dense, shard, p.recomputation());
    const double t_f = chip::cost(slow_f.cluster->chip(), ops.forward).time_s;
    const double t_b = chip::cost(slow_f.cluster->chip(), ops.backward).time_s;
    const double m = static_cast<double>(slow.micro_batches);
    const double c_s = 16 * layer / 64e6;
    CHECK(slow.time.offload_s == doctest::Approx(m * ((c_s - 30 * t_f) + (c_s - 30 * t_b))));
    // N = L - 1: no copy has a window, both passes expose all of theirs, however fast the link.
    const auto all_but_one = step_of(fast, offloading(p, 31));
    CHECK(all_but_one.time.offload_s == doctest::Approx(2 * m * all_but_one.memory.offloaded / 10e12));
    CHECK(all_but_one.memory.offloaded == doctest::Approx(31 * layer));
    // Megatron-Core's limits: one pipeline stage, no recomputation, fewer layers than the model's; and a host link figure.
    auto staged = train::evaluate(fast.spec(), offloading(plan(1, 2, 16), 8), *fast.cluster);
    REQUIRE(std::holds_alternative<train::Rejection>(staged));
    CHECK(std::get<train::Rejection>(staged).category == "offload");
    CHECK(std::get<train::Rejection>(staged).reason.find("needs pp 1") != std::string::npos);
    auto q = offloading(p, 16);
    q.recompute = train::Recompute::full;
    auto recomputed = train::evaluate(fast.spec(), q, *fast.cluster);
    REQUIRE(std::holds_alternative<train::Rejection>(recomputed));
    CHECK(std::get<train::Rejection>(recomputed).reason.find("needs recompute none") != std::string::npos);
    CHECK(train::offload_plan_problem(w, offloading(p, 32)).find("must be below the 32 layers of llama3_8b") != std::string::npos);
    chip::ChipModel no_link = fast.cluster->chip();
    no_link.host_link_bytes_per_s = 0;
    CHECK(train::offload_problem(no_link, w, offloading(p, 16)).find("has no host_link_bandwidth figure") != std::string::npos);
    CHECK(train::offload_problem(no_link, w, p).empty());  // nothing offloaded: nothing to refuse
}

TEST_CASE("train: offloaded activations must fit in the host memory the system states") {
    const auto p = offloading(plan(1, 1, 32), 16);
    const Fixture roomy = with_host_link(64e9);
    const double offloaded = step_of(roomy, p).memory.offloaded;
    // The host's share less the reserve (10 %) just holds them, or just does not.
    const Fixture fits = with_host_link(64e9, offloaded / 0.9 * 1.001);
    CHECK(step_of(fits, p).fits);
    const Fixture tight = with_host_link(64e9, offloaded / 0.9 * 0.999);
    CHECK_FALSE(step_of(tight, p).fits);
    auto refused = train::evaluate(tight.spec(), p, *tight.cluster);
    REQUIRE(std::holds_alternative<train::Rejection>(refused));
    CHECK(std::get<train::Rejection>(refused).category == "memory");
    CHECK(std::get<train::Rejection>(refused).reason.find("to host memory") != std::string::npos);
    // A system that states no host memory cannot offload at all.
    const Fixture unknown = with_host_link(64e9, std::nullopt);
    auto unstated = train::evaluate(unknown.spec(), p, *unknown.cluster);
    REQUIRE(std::holds_alternative<train::Rejection>(unstated));
    CHECK(std::get<train::Rejection>(unstated).category == "offload");
    CHECK(std::get<train::Rejection>(unstated).reason.find("no host_memory") != std::string::npos);
    CHECK(std::holds_alternative<train::StepResult>(train::evaluate(unknown.spec(), plan(1, 1, 32), *unknown.cluster)));
}

TEST_CASE("train: the search offloads the fewest layers that fit, and finds the brute-force optimum over every count") {
    // HBM shrunk until dp32 without recomputation needs half its activations offloaded.
    const auto p = plan(1, 1, 32);
    const Fixture roomy = with_host_link(64e9);
    const train::Memory kept = step_of(roomy, p).memory;
    const Fixture f = with_host_link(64e9, 1e12, (kept.total() - 0.5 * kept.activations) / 0.9);
    const auto& w = *f.spec().workload;
    REQUIRE_FALSE(step_of(f, p).fits);
    const train::Plan fewest = train::fewest_offloaded_layers(f.spec(), p, *f.cluster);
    REQUIRE(fewest.offload_layers > 0);
    CHECK(step_of(f, fewest).fits);
    CHECK_FALSE(step_of(f, offloading(p, fewest.offload_layers - 1)).fits);
    // Unchanged: a plan that fits, or that cannot offload (pipeline, recomputation).
    CHECK(train::fewest_offloaded_layers(roomy.spec(), p, *roomy.cluster) == p);
    CHECK(train::fewest_offloaded_layers(f.spec(), plan(1, 2, 16), *f.cluster) == plan(1, 2, 16));

    train::SearchSpace space = train::default_space(f.spec(), *f.cluster);
    space.partial_recompute = false;
    space.recompute = {train::Recompute::none, train::Recompute::full};
    space.micro_batch = {1, 2};
    const auto found = train::search(f.spec(), *f.cluster, space, 3);
    REQUIRE_FALSE(found.best.empty());
    // Brute force: every plan of the space, with every offloaded count it can take.
    double best = std::numeric_limits<double>::infinity();
    std::int64_t offloading_plans = 0;
    for (const auto& base : train::enumerate_plans(space, f.spec(), *f.cluster)) {
        const bool can = base.pp == 1 && base.recompute == train::Recompute::none;
        for (std::int64_t n = 0; n <= (can ? w.layers - 1 : 0); ++n) {
            auto r = train::evaluate(f.spec(), offloading(base, n), *f.cluster);
            if (const auto* ok = std::get_if<train::StepResult>(&r)) {
                best = std::min(best, ok->time.step_s);
                offloading_plans += n > 0 ? 1 : 0;
            }
        }
    }
    REQUIRE(offloading_plans > 0);
    CHECK(found.best.front().time.step_s == doctest::Approx(best).epsilon(1e-12));
    for (const auto& r : found.best)
        if (r.plan.offload_layers > 0) CHECK(r.plan == train::fewest_offloaded_layers(f.spec(), offloading(r.plan, 0), *f.cluster));
    // Without offloading in the space, the same plans are rejected for memory.
    space.offload = false;
    const auto without = train::search(f.spec(), *f.cluster, space, 3);
    CHECK(without.rejected.at("memory").count > found.rejected.at("memory").count);
}

TEST_CASE("train: offloading a MoE model's first layers takes its leading dense layers first") {
    // DeepSeek-V3: 3 dense layers, then 58 MoE layers; 5 offloaded = the 3 dense and 2 MoE layers' activations.
    const auto w = test::source_catalog().workloads.at("deepseek_v3");
    train::Plan p;
    p.dp = 8;
    p.ep = 8;
    p.micro_batch = 1;
    p.optimizer = train::Optimizer::zero1;
    const train::Shard s{1, 4096, 1, 1, 8, false, chip::DType::bf16};
    const double dense = train::layer_activation_bytes(*w, train::LayerKind::dense, s, train::Recompute::none);
    const double moe = train::layer_activation_bytes(*w, train::LayerKind::moe, s, train::Recompute::none);
    REQUIRE(dense != doctest::Approx(moe));
    const auto kept = train::memory_per_chip(*w, p, 4096, chip::DType::bf16);
    p.offload_layers = 5;
    const auto off = train::memory_per_chip(*w, p, 4096, chip::DType::bf16);
    CHECK(off.offloaded == doctest::Approx(3 * dense + 2 * moe));
    CHECK(kept.activations - off.activations == doctest::Approx(off.offloaded));
    // Not with a pipeline or with recomputation: nothing moves (the plan is refused elsewhere).
    p.pp = 2;
    CHECK(train::memory_per_chip(*w, p, 4096, chip::DType::bf16).offloaded == 0);
}

TEST_CASE("train: the search's answer does not depend on the thread count") {
    std::vector<train::SearchResult> results;
    for (const int threads : {1, 2, 4}) {
        const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
        const Fixture f = make();  // fresh cluster: no cost curves carried over
        results.push_back(train::search(f.spec(), *f.cluster, train::default_space(f.spec(), *f.cluster), 3));
    }
    for (const auto& r : results) {
        REQUIRE(r.best.size() == 3);
        for (std::size_t k = 0; k < 3; ++k) {
            CHECK(r.best[k].plan == results.front().best[k].plan);
            CHECK(r.best[k].time.step_s == results.front().best[k].time.step_s);  // bit for bit
        }
        CHECK(r.exact_evaluations == results.front().exact_evaluations);
    }
}

TEST_CASE("train: a faster chip or a faster network is never slower") {
    const Fixture f = make();
    const auto p = plan(2, 2, 8, 1, 2);
    const auto base = step_of(f, p);
    // A chip with twice the peak and HBM bandwidth, on the same network.
    chip::ChipModel fast = f.cluster->chip();
    for (auto& peak : fast.peak_flop_per_s) peak *= 2;
    fast.hbm_bytes_per_s *= 2;
    fast.vector_flop_per_s *= 2;
    const auto& c = f.sc.cases.front();
    auto graph = std::make_shared<const topo::Topology>(topo::build(c.job_network->params));
    const train::TrainingCluster faster(fast, f.cluster->hbm_bytes(), 32, graph,
                                        comm::preset_cost_model(*graph, c.cluster.chip->scale_up_bandwidth.value->si()));
    const auto quick = std::get<train::StepResult>(train::evaluate(f.spec(), p, faster));
    CHECK(quick.time.compute_s < base.time.compute_s);
    CHECK(quick.time.step_s < base.time.step_s);
    // The same network at twice the line rate.
    std::string text = small_job;
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"112.5 GB/s", "225 GB/s"}, {"400 Gb/s", "800 Gb/s"}})
        text.replace(text.find(from), from.size(), to);
    const Fixture wide = make(text);
    const auto w = step_of(wide, p);
    CHECK(w.time.step_s <= base.time.step_s);
    CHECK(w.time.tp_comm_s < base.time.tp_comm_s);
    CHECK(w.time.compute_s == base.time.compute_s);
}

TEST_CASE("train: execution.algorithms forces a dimension's collective algorithm; the tuner's choice is never slower") {
    Fixture f = make();
    const auto p = plan(8, 1, 4);
    const auto tuned = step_of(f, p);
    for (const std::string dp : {"ring", "recursive_halving_doubling"}) {
        f.sc.cases.front().training->execution.algorithms = {{"dp", dp}, {"tp", "ring"}};
        const auto forced = step_of(f, p);
        INFO(dp << ": " << forced.dp.algorithm << ", tuned " << tuned.dp.algorithm);
        // The reduction runs the forced algorithm (under the protocol the tuner picks for it).
        CHECK(forced.dp.algorithm.rfind(dp, 0) == 0);
        CHECK(forced.tp.algorithm.rfind("ring", 0) == 0);
        CHECK(forced.dp.time_s >= tuned.dp.time_s * (1 - 1e-12));
        CHECK(forced.time.step_s >= tuned.time.step_s * (1 - 1e-12));
        CHECK(forced.tp.time_s >= tuned.tp.time_s * (1 - 1e-12));
    }
    // Where the forced algorithm does not apply, the tuner's: no in-network reduction across the
    // InfiniBand rails, and the distributed optimizer's reduce-scatter and all-gather have no tree.
    REQUIRE(tuned.dp.algorithm.find('+') != std::string::npos);  // zero1: reduce-scatter + all-gather
    for (const std::string dp : {"in_network", "double_binary_tree"}) {
        f.sc.cases.front().training->execution.algorithms = {{"dp", dp}};
        CHECK(step_of(f, p).dp.algorithm == tuned.dp.algorithm);
    }
}

TEST_CASE("train: overlap_ep_comm hides the expert all-to-all under the layer's kernels, less the library's share") {
    // Mixtral 8x7B, experts over 8 ranks of one HGX server (ep's groups inside NVLink: NCCL's SM share).
    std::string text = small_job;
    text.replace(text.find("llama3_8b"), 9, "mixtral_8x7b");
    text += "      plan: {tp: 1, pp: 1, dp: 32, ep: 8, micro_batch: 1, recompute: full, optimizer: zero1}\n";
    Fixture f = make(text);
    const train::Plan p = *f.spec().plan;
    auto run_with = [&](bool overlap) {
        f.sc.cases.front().training->execution.overlap_ep_comm = overlap;
        auto r = train::evaluate(f.spec(), p, *f.cluster, false);
        REQUIRE(std::holds_alternative<train::StepResult>(r));
        return std::get<train::StepResult>(r);
    };
    const auto plain = run_with(false);
    const auto overlapped = run_with(true);
    REQUIRE(plain.time.ep_comm_s > 0);
    // Six all-to-alls per MoE layer and micro-batch (dispatch and combine: forward, backward, recomputed
    // forward), exposed in full without overlap.
    const double m = static_cast<double>(p.micro_batches(f.spec().global_batch));
    const double layers = static_cast<double>(f.spec().workload->layers);
    CHECK(plain.time.ep_comm_s == doctest::Approx(m * layers * 6 * plain.ep.time_s).epsilon(1e-9));
    // Overlapped: max(C - W, f C) per layer; here the kernels outlast the exchange, so f C, with the share of
    // the library that runs it: DeepEP's normal kernels (24 of the H100's 132 SMs) when the tuner takes the
    // one-sided all-to-all, NCCL's 16 otherwise.
    const auto group = comm::Placement::tiled(32, 8, 1);
    const double share = plain.ep.algorithm == "one_sided"
                             ? f.cluster->dispatch_compute_share(group, train::TrainingCluster::DispatchKernels::normal)
                             : f.cluster->comm_compute_share(group);
    REQUIRE(share > 0);
    CHECK(overlapped.time.ep_comm_s == doctest::Approx(share * plain.time.ep_comm_s).epsilon(1e-9));
    CHECK(overlapped.time.step_s < plain.time.step_s);
    CHECK(overlapped.time.compute_s == plain.time.compute_s);
    // Nothing else moves.
    CHECK(overlapped.time.dp_comm_s == plain.time.dp_comm_s);
}

TEST_CASE("train: expert exchanges across scale-up domains take DeepEP's hierarchical path where faster") {
    // The expected number of domains a token's k distinct experts sit in, against every choice of k of 16
    // experts in 4 domains of 4, counted one by one.
    for (const std::int64_t k : {1, 2, 3, 5}) {
        double domains_reached = 0, choices = 0;
        for (unsigned set = 0; set < (1U << 16); ++set) {
            if (std::popcount(set) != k) continue;
            unsigned hit = 0;
            for (unsigned x = 0; x < 16; ++x)
                if (set >> x & 1U) hit |= 1U << (x / 4);
            domains_reached += std::popcount(hit);
            choices += 1;
        }
        const auto split = train::hierarchical_dispatch(1000.0, catalog::MoeSpec{16, k, 0, 1, 0}, 4);
        CHECK(split.across_bytes == doctest::Approx(1000.0 * domains_reached / choices).epsilon(1e-12));
        CHECK(split.inside_bytes == 1000.0 * static_cast<double>(k));
    }
    // Group-limited routing, 16 experts in 8 groups of 2, 3 groups per token, top-4, counted one by one over the
    // chosen groups (and, where a group spans two domains, over the experts chosen in them).
    for (const std::int64_t domains : {2, 4, 16}) {
        double reached = 0, choices = 0;
        for (unsigned groups = 0; groups < (1U << 8); ++groups) {
            if (std::popcount(groups) != 3) continue;
            if (domains <= 8) {  // whole groups per domain: each chosen group receives an expert
                unsigned hit = 0;
                for (unsigned g = 0; g < 8; ++g)
                    if (groups >> g & 1U) hit |= 1U << (g / (8 / domains));
                reached += std::popcount(hit);
                choices += 1;
                continue;
            }
            for (unsigned set = 0; set < (1U << 16); ++set) {  // 16 domains: one expert each
                if (std::popcount(set) != 4) continue;
                bool inside = true;
                for (unsigned x = 0; x < 16; ++x) inside = inside && (!(set >> x & 1U) || (groups >> (x / 2) & 1U));
                if (!inside) continue;
                reached += std::popcount(set);
                choices += 1;
            }
        }
        const auto split = train::hierarchical_dispatch(1000.0, catalog::MoeSpec{16, 4, 0, 1, 0, 8, 3}, domains);
        INFO(domains << " domains");
        CHECK(split.across_bytes == doctest::Approx(1000.0 * reached / choices).epsilon(1e-12));
    }
    // Qwen3 235B (128 experts, top-8) with experts over all 32 GPUs of 4 HGX servers: a token copy crosses
    // InfiniBand once per remote server rather than once per remote expert.
    std::string text = small_job;
    text.replace(text.find("llama3_8b"), 9, "qwen3_235b_a22b");
    text += "      plan: {tp: 1, pp: 1, dp: 32, ep: 32, micro_batch: 1, recompute: full, optimizer: zero3}\n";
    Fixture f = make(text);
    const train::Plan p = *f.spec().plan;
    auto run_with = [&](double dispatch_bytes, train::Fidelity fidelity = train::Fidelity::exact) {
        f.sc.cases.front().training->execution.dispatch_bytes = dispatch_bytes;
        auto r = train::evaluate(f.spec(), p, *f.cluster, false, fidelity);
        REQUIRE(std::holds_alternative<train::StepResult>(r));
        return std::get<train::StepResult>(r);
    };
    const auto bf16 = run_with(2);
    CHECK(bf16.ep.algorithm == "hierarchical_dispatch");
    // FP8 dispatch halves the dispatches only, not the combines: 3 of the 6 exchanges with full recomputation
    // (forward twice, and the gradients' dispatch in the backward pass).
    const auto fp8 = run_with(1);
    CHECK(fp8.time.ep_comm_s < bf16.time.ep_comm_s);
    CHECK(fp8.time.ep_comm_s >= bf16.time.ep_comm_s * 3.0 / 4.0);
    // The search's bound stays below the exact step, with and without the overlap.
    CHECK(run_with(1, train::Fidelity::lower_bound).time.step_s <= fp8.time.step_s);
    f.sc.cases.front().training->execution.overlap_ep_comm = true;
    const auto overlapped = run_with(1);
    CHECK(overlapped.time.ep_comm_s < fp8.time.ep_comm_s);
    CHECK(run_with(1, train::Fidelity::lower_bound).time.step_s <= overlapped.time.step_s);
    // Expert groups of stride 2 (tp 2 below them): 4 of a group's 16 ranks in each server.
    f.sc.cases.front().training->execution.overlap_ep_comm = false;
    train::Plan strided = p;
    strided.tp = 2;
    strided.dp = 16;
    strided.ep = 16;
    strided.sequence_parallel = true;
    auto r = train::evaluate(f.spec(), strided, *f.cluster, false);
    REQUIRE(std::holds_alternative<train::StepResult>(r));
    CHECK(std::get<train::StepResult>(r).ep.algorithm == "hierarchical_dispatch");
}

TEST_CASE("train: fp8_scaling: block runs the layers' FP8 products on the chip's block-scaled figures") {
    std::string text = small_job;
    text += "      precision: fp8\n";
    Fixture f = make(text);
    const auto p = plan(2, 1, 16, 1, 2);
    const auto tensor = step_of(f, p);
    f.sc.cases.front().training->execution.fp8_block_scaled = true;
    const auto block = step_of(f, p);
    // The H100's block-scaled pair (fitted to DeepGEMM) is not its per-tensor figure (fp8_matmul_efficiency, with
    // Transformer Engine's cast kernels, which block scales do without).
    const auto& c = f.cluster->chip();
    REQUIRE(c.fp8_block_matmul_efficiency > 0);
    REQUIRE(c.fp8_matmul_efficiency > 0);
    CHECK(block.time.compute_s != doctest::Approx(tensor.time.compute_s));
    // Only the kernels change: the same collectives, the same memory.
    CHECK(block.time.tp_comm_s == tensor.time.tp_comm_s);
    CHECK(block.memory.total() == tensor.memory.total());
    // Every layer's FP8 product is marked, forward, backward and recomputed; nothing else is.
    train::Shard s{2, 4096, 2, 1, 1, true, chip::DType::fp8};
    s.fp8_block_scaled = true;
    const auto ops = train::layer_ops(*f.spec().workload, train::LayerKind::dense, s, train::Recompute::full);
    int products = 0;
    for (const auto* list : {&ops.forward, &ops.backward, &ops.recompute})
        for (const auto& op : *list)
            if (const auto* mm = std::get_if<chip::Matmul>(&op); mm && mm->dtype == chip::DType::fp8) {
                CHECK(mm->block_scaled);
                ++products;
            }
    CHECK(products == 4 * 3 + 4);  // QKV, output, gate+up, down: forward and recomputed, two each backward
    // FP8 training keeps the attention core, the MoE router and the output head in 16-bit (Transformer
    // Engine's recipe; DeepSeek-V3 section 3.3).
    const auto& moe_workload = *test::source_catalog().workloads.at("mixtral_8x7b");
    const auto moe = train::layer_ops(moe_workload, train::LayerKind::moe, s, train::Recompute::none);
    int attention = 0, router = 0;
    for (const auto& op : moe.forward) {
        if (const auto* a = std::get_if<chip::Attention>(&op)) attention += a->dtype == chip::DType::bf16;
        if (const auto* mm = std::get_if<chip::Matmul>(&op); mm && mm->n == moe_workload.moe->experts)
            router += mm->dtype == chip::DType::bf16 && !mm->block_scaled;
    }
    CHECK(attention == 1);
    CHECK(router == 1);
    const auto head = train::head_ops(moe_workload, s);
    for (const auto& op : head.forward)
        if (const auto* mm = std::get_if<chip::Matmul>(&op)) CHECK(mm->dtype == chip::DType::bf16);
    // A chip whose BF16 peak is not public (Ascend 960) runs them at the plan's precision instead of failing.
    chip::ChipModel no_bf16 = f.cluster->chip();
    no_bf16.peak_flop_per_s[static_cast<std::size_t>(chip::DType::bf16)] = 0;
    const auto& c0 = f.sc.cases.front();
    auto graph = std::make_shared<const topo::Topology>(topo::build(c0.job_network->params));
    const train::TrainingCluster fp8_only(no_bf16, f.cluster->hbm_bytes(), 32, graph,
                                          comm::preset_cost_model(*graph, c0.cluster.chip->scale_up_bandwidth.value->si()));
    const auto r = train::evaluate(f.spec(), p, fp8_only);
    REQUIRE(std::holds_alternative<train::StepResult>(r));
    CHECK(std::get<train::StepResult>(r).time.compute_s < block.time.compute_s);  // FP8 attention: faster
}

TEST_CASE("train: plan checks name what is wrong") {
    const Fixture f = make();
    auto reason = [&f](const train::Plan& p) {
        auto r = train::evaluate(f.spec(), p, *f.cluster);
        INFO(train::describe(p));
        REQUIRE(std::holds_alternative<train::Rejection>(r));
        return std::get<train::Rejection>(r);
    };
    auto p = plan(2, 2, 4);  // 16 of 32 chips
    CHECK(reason(p).reason == "tp x pp x dp x cp = 2 x 2 x 4 x 1 = 16, but the cluster has 32 chips");
    p = plan(32, 1, 1);  // allowed: tensor parallelism may leave the scale-up domain when a plan says so
    CHECK(std::holds_alternative<train::StepResult>(train::evaluate(f.spec(), p, *f.cluster, false)));
    p.tp = 3;
    p.dp = 32 / 3;
    CHECK(reason(p).reason == "tp x pp x dp x cp = 3 x 1 x 10 x 1 = 30, but the cluster has 32 chips");
    auto problems = train::plan_problems(f.spec(), p, *f.cluster);
    REQUIRE(problems.size() == 5);
    CHECK(problems[4].category == "batch");
    CHECK(problems[1].reason == "tp 3 does not divide the 32 attention heads");
    CHECK(problems[2].reason == "tp 3 and the 8 key-value heads: neither divides the other");
    CHECK(problems[3].reason == "tp 3 does not divide the FFN size 14336");
    p = plan(1, 1, 32, 1, 4);  // 4 x 32 does not divide 64
    CHECK(reason(p).category == "batch");
    p = plan(2, 4, 4, 2, 1);  // 16 micro-batches, pp 4: fine; v 2 with 64 / (1 x 4) = 16 micro-batches
    CHECK(std::holds_alternative<train::StepResult>(train::evaluate(f.spec(), p, *f.cluster)));
    p = plan(2, 4, 4, 2, 8);  // 2 micro-batches for pp 4
    CHECK(reason(p).reason ==
          "the interleaved schedule needs the 2 micro-batches to be a multiple of pp = 4 (Megatron-LM)");
    p = plan(2, 2, 8);
    p.optimizer = train::Optimizer::zero3;
    CHECK(reason(p).category == "optimizer");
    p = plan(1, 1, 32);
    p.ep = 2;
    CHECK(reason(p).reason == "ep > 1 needs a mixture-of-experts workload");
    p = plan(1, 1, 32);
    p.optimizer = train::Optimizer::plain;  // 16 bytes per parameter x 8B parameters: 120 GiB
    CHECK(reason(p).category == "memory");
}

TEST_CASE("train: FSDP's collectives without overlap: every micro-batch's gathers and reduce-scatter exposed") {
    // Llama 3 8B on 32 H100s under zero3, 2 micro-batches per step: with overlap each micro-batch's two parameter
    // gathers and gradient reduce-scatter hide under its kernels (but the collective library's share of them);
    // without, all 2 AG + RS of each micro-batch add to the step.
    Fixture f = make();
    auto p = plan(1, 1, 32);
    p.optimizer = train::Optimizer::zero3;
    const auto overlapped = step_of(f, p);
    f.sc.cases.front().training->execution.overlap_grad_reduce = false;
    const auto serial = step_of(f, p);
    const double m = static_cast<double>(serial.micro_batches);
    REQUIRE(m == 2);
    // dp.time_s is one reduce-scatter and one gather; a micro-batch runs one more gather, which moves half the
    // reduce-scatter's bytes (16-bit parameters, fp32 gradients).
    const double per_mb = serial.time.dp_comm_s / m;
    CHECK(per_mb > serial.dp.time_s);
    CHECK(per_mb < 2 * serial.dp.time_s);
    CHECK(overlapped.time.dp_comm_s < 0.5 * serial.time.dp_comm_s);
    CHECK(serial.time.step_s - overlapped.time.step_s == doctest::Approx(serial.time.dp_comm_s - overlapped.time.dp_comm_s));
    CHECK(serial.time.compute_s == overlapped.time.compute_s);
}

TEST_CASE("train: the optimizer step runs Megatron's mixed-precision kernels over the parameters the rank updates") {
    // Per parameter: the gradient norm (4 bytes), fused Adam (28), the master weights copied back to 16 bits (6);
    // 16-bit gradients copied to fp32 first (6); fp16 unscales them and checks for overflow (8).
    auto bytes = [](double grad_bytes, chip::DType precision) {
        double total = 0;
        for (const auto& op : train::optimizer_ops(1e9, grad_bytes, precision)) total += std::get<chip::MemoryOp>(op).bytes;
        return total / 1e9;
    };
    CHECK(bytes(4, chip::DType::bf16) == doctest::Approx(38));
    CHECK(bytes(2, chip::DType::bf16) == doctest::Approx(44));
    CHECK(bytes(2, chip::DType::fp16) == doctest::Approx(52));
    CHECK(bytes(4, chip::DType::fp8) == doctest::Approx(38));
    CHECK(chip::name_of(train::optimizer_ops(1, 4, chip::DType::bf16)[1]) == "adam");

    // Llama 3 8B on 32 H100s: the plain optimizer updates every parameter a rank holds, zero1 a 1/dp share.
    Fixture f = make();
    const auto& chip = f.cluster->chip();
    auto p = plan(1, 1, 32);
    p.optimizer = train::Optimizer::plain;
    const double params = train::params_per_chip(*f.spec().workload, p);
    const auto plain = step_of(f, p);
    const double launches = 3 * chip.kernel_overhead_s;  // norm, Adam, copy back: the gradients are fp32 (grad_reduce fp32)
    const double bandwidth = chip.hbm_bytes_per_s * chip.memory_efficiency;
    CHECK(plain.time.optimizer_s == doctest::Approx(38 * params / bandwidth + launches));
    p.optimizer = train::Optimizer::zero1;
    CHECK(step_of(f, p).time.optimizer_s == doctest::Approx(38 * params / 32 / bandwidth + launches));
    // FP16 runs the products at the BF16 rate (the same peak): only the loss scale's pass differs.
    p.optimizer = train::Optimizer::plain;
    f.sc.cases.front().training->precision = chip::DType::fp16;
    const auto fp16 = step_of(f, p);
    CHECK(fp16.time.compute_s == plain.time.compute_s);
    CHECK(fp16.time.optimizer_s - plain.time.optimizer_s ==
          doctest::Approx(8 * params / bandwidth + chip.kernel_overhead_s));
    CHECK(fp16.mfu < plain.mfu);
}

TEST_CASE("train: fsdp: per_parameter copies every gathered parameter out and every gradient in, per micro-batch") {
    // Llama 3 8B on 32 H100s, 2 micro-batches per step. PyTorch FSDP2 copies each layer's parameters out of the
    // all-gather buffer in the forward pass and again in the backward pass (16-bit, read and written: 4 bytes), and
    // its gradients into the reduce-scatter buffer (2 bytes read, 4 written in fp32): 14 bytes per parameter the rank
    // gathers, per micro-batch, on the compute stream. Nothing else moves; only zero3 gathers.
    Fixture f = make();
    auto p = plan(1, 1, 32);
    p.optimizer = train::Optimizer::zero3;
    const auto flat = step_of(f, p);
    f.sc.cases.front().training->execution.fsdp = train::FsdpBuffers::per_parameter;
    const auto copied = step_of(f, p);
    const double m = static_cast<double>(copied.micro_batches);
    REQUIRE(m == 2);
    const auto& chip = f.cluster->chip();
    const auto& w = *f.spec().workload;
    const double params = train::count_params(w).total;  // pp 1: the rank gathers every parameter
    auto copy_s = [&](double bytes_per_param) {
        // One kernel per layer (and per embedding and head), each with its own launch cost.
        const double kernels = static_cast<double>(w.layers) + 2.0;
        return params * bytes_per_param / (chip.hbm_bytes_per_s * chip.memory_efficiency) + kernels * chip.kernel_overhead_s;
    };
    const double expected = m * (2 * copy_s(4.0) + copy_s(6.0));
    CHECK(copied.time.compute_s - flat.time.compute_s == doctest::Approx(expected).epsilon(1e-6));
    CHECK(copied.time.dp_comm_s <= flat.time.dp_comm_s);  // more kernels to hide the collectives under
    CHECK(copied.time.step_s > flat.time.step_s);
    // A 16-bit reduction writes 2 bytes a gradient: 12 bytes per parameter.
    f.sc.cases.front().training->execution.grad_bytes = 2;
    f.sc.cases.front().training->execution.fsdp = train::FsdpBuffers::flat;
    const auto flat16 = step_of(f, p);
    f.sc.cases.front().training->execution.fsdp = train::FsdpBuffers::per_parameter;
    CHECK(step_of(f, p).time.compute_s - flat16.time.compute_s == doctest::Approx(m * (2 * copy_s(4.0) + copy_s(4.0))).epsilon(1e-6));
    // Sharded optimizer states without gathered parameters (zero1): no copies.
    p.optimizer = train::Optimizer::zero1;
    const auto zero1_copied = step_of(f, p);
    f.sc.cases.front().training->execution.fsdp = train::FsdpBuffers::flat;
    CHECK(step_of(f, p).time.step_s == zero1_copied.time.step_s);
}

TEST_CASE("train: fsdp: flat_parameter runs FSDP1's kernels in the chain of its collectives, per unit and micro-batch") {
    // Per parameter of a unit over N ranks with 16-bit reduction: two shard casts (6/N each), the gradient cat (4),
    // the pre-division (4), then on the shard the post-division (4/N), the cast to fp32 (6/N) and, but on a step's
    // first micro-batch, the accumulation (12/N): 8 + 22/N + 12/N. An fp32 reduction casts the whole gradient (2 + 4)
    // and divides 4-byte elements (8), with no shard cast.
    auto bytes = [](double grad_bytes, double accumulated) {
        double total = 0;
        for (const auto& op : train::fsdp_flat_parameter_ops(8e9, 8, grad_bytes, accumulated)) total += std::get<chip::MemoryOp>(op).bytes;
        return total / 8e9;
    };
    CHECK(bytes(2, 0) == doctest::Approx(8 + 22.0 / 8));
    CHECK(bytes(2, 1) == doctest::Approx(8 + 34.0 / 8));
    CHECK(bytes(4, 0) == doctest::Approx(12.0 / 8 + 4 + 6 + 8 + 8.0 / 8));

    // Llama 3 8B on 32 H100s under zero3, 2 micro-batches: the kernels join each micro-batch's collectives, so
    // without overlap they add to the exposed data-parallel time, one set per layer and one for the root.
    Fixture f = make();
    auto p = plan(1, 1, 32);
    p.optimizer = train::Optimizer::zero3;
    auto& e = f.sc.cases.front().training->execution;
    e.overlap_grad_reduce = false;
    const auto flat = step_of(f, p);
    e.fsdp = train::FsdpBuffers::flat_parameter;
    const auto fsdp1 = step_of(f, p);
    const double m = static_cast<double>(fsdp1.micro_batches);
    REQUIRE(m == 2);
    const auto& w = *f.spec().workload;
    const double units = static_cast<double>(w.layers) + 1;
    const double params = train::params_per_chip(w, p);
    const double per_mb = units * chip::cost(f.cluster->chip(), train::fsdp_flat_parameter_ops(params / units, 32, e.grad_bytes, 0.5)).time_s;
    CHECK(fsdp1.time.dp_comm_s - flat.time.dp_comm_s == doctest::Approx(m * per_mb));
    CHECK(fsdp1.time.compute_s == flat.time.compute_s);  // not on the compute stream
    // Overlapped, they hide under the kernels with the collectives (but the collective library's share of them).
    e.overlap_grad_reduce = true;
    const auto overlapped = step_of(f, p);
    e.fsdp = train::FsdpBuffers::flat;
    const auto flat_overlapped = step_of(f, p);
    CHECK(overlapped.time.dp_comm_s < fsdp1.time.dp_comm_s);
    CHECK(overlapped.time.dp_comm_s > flat_overlapped.time.dp_comm_s);
}

TEST_CASE("train: clustersim validate prints every case, the median and the worst error, and gates on targets") {
    const std::string file = (test::source_dir() / "tests/validation/megascale.yaml").string();
    const std::string catalog = test::models_dir().string();
    std::ostringstream out, err;
    REQUIRE(app::run_cli({"--catalog", catalog, "validate", file}, out, err) == app::exit_ok);
    INFO(out.str(), err.str());
    CHECK(out.str().find("megascale-t2-megascale-175b-256gpu") != std::string::npos);
    CHECK(out.str().find("8 cases: median |error| ") != std::string::npos);
    // A target no model meets: exit 5 and say which.
    std::ostringstream out2, err2;
    CHECK(app::run_cli({"--catalog", catalog, "validate", file, "--max-worst-error", "0.0001"}, out2, err2) ==
          app::exit_validation);
    CHECK(out2.str().find("validation targets missed: worst ") != std::string::npos);
    // The default set: the project's own cases, every file of tests/validation.
    CHECK(app::default_validation_files().size() >= 10);
}

TEST_CASE("train: every case of the project's validation set is predicted (no plan the model refuses)") {
    // --max-worst-error 100 (10,000 %) fails on a case that cannot be predicted, not on any error seen.
    const std::string catalog = test::models_dir().string();
    std::vector<std::string> args{"--catalog", catalog, "validate"};
    for (const auto& f : app::default_validation_files()) args.push_back(f);
    args.insert(args.end(), {"--max-worst-error", "100"});
    std::ostringstream out, err;
    const int code = app::run_cli(args, out, err);
    INFO(out.str(), err.str());
    CHECK(code == app::exit_ok);
    CHECK(out.str().find("101 cases: median |error| ") != std::string::npos);
}

TEST_CASE("train: a scenario's training cases run: a given plan, a searched MoE plan, a validation case, in the CSV") {
    const auto sc = scenario::load_scenario(test::source_dir() / "tests/data/good/training_small.yaml", test::source_catalog());
    const auto r = run::run_scenario(sc);
    REQUIRE(r.cases.size() == 3);
    for (const auto& c : r.cases) {
        REQUIRE(c.training.has_value());
        INFO(c.name, ": ", c.training->problem);
        REQUIRE(c.training->step.has_value());
        CHECK(c.training->step->fits);
    }
    CHECK_FALSE(r.cases[0].training->searched);
    CHECK(r.cases[1].training->searched);
    CHECK(r.cases[1].training->step->plan.ep > 1);  // experts spread: 47B parameters do not fit otherwise
    CHECK(r.cases[1].training->runners_up.size() == 4);
    REQUIRE(r.cases[2].training->predicted.has_value());
    // PaLM's convention: 6 N + 12 L H Q T per token, N without the (untied) embedding and output layers.
    const double non_embedding = 8.03e9 - 2.0 * 128256 * 4096;
    CHECK(*r.cases[2].training->predicted == doctest::Approx(r.cases[2].training->step->tokens_per_s / 8 *
                                                            (6 * non_embedding + 12.0 * 32 * 32 * 128 * 4096) / 989e12)
                                                 .epsilon(0.002));
    const std::string csv = output::results_csv({r});
    CHECK(csv.find(",llama3_8b,16,4096,bf16,given,2,2,2,1,1,2,1,8,true,selective,zero1,") != std::string::npos);
    CHECK(csv.find(",mixtral_8x7b,64,4096,fp8,search,") != std::string::npos);
    // The searched MoE case's v11 switches, as the file gives them, and its expert path.
    const auto searched = row_cells(r.cases[1]);
    auto cell = [&](std::string_view name) { return searched.at(std::string(name)); };
    CHECK(cell("training_overlap_ep_comm") == "true");
    CHECK(cell("training_dispatch_bytes_per_element") == "1");
    CHECK(cell("training_fp8_scaling") == "block");
    CHECK(cell("training_ep_algorithm") == r.cases[1].training->step->ep.algorithm);
    CHECK_FALSE(cell("training_ep_algorithm").empty());
}

TEST_CASE("train: clustersim validate on files without a measurement says there is nothing to validate") {
    std::ostringstream out, err;
    CHECK(app::run_cli({"--catalog", test::models_dir().string(), "validate",
                        (test::source_dir() / "scenarios/peak-weaker-chip-bigger-cluster.yaml").string()},
                       out, err) == app::exit_usage);
    CHECK(out.str() == "no case has a 'measured' figure (7 cases skipped): nothing to validate\n");
}

TEST_CASE("train: delivered throughput against the baseline, in the CSV and the summary") {
    const auto sc = scenario::load_scenario_text(R"(
format: 1
scenario: vs-baseline
cases:
  - name: small
    system: hgx_h100_ib_cluster
    count: 16
    training: {workload: llama3_8b, global_batch: 64, plan: {tp: 8, micro_batch: 1, sequence_parallel: true}}
  - name: large
    system: hgx_h100_ib_cluster
    count: 32
    baseline: small
    training: {workload: llama3_8b, global_batch: 64, plan: {tp: 8, micro_batch: 1, sequence_parallel: true}}
)", "vs-baseline.yaml", test::source_catalog());
    const auto r = run::run_scenario(sc);
    const double ratio = r.cases[1].training->step->tokens_per_s / r.cases[0].training->step->tokens_per_s;
    CHECK(ratio > 1.5);  // twice the chips, the same per-chip work halved: close to 2x
    CHECK(ratio < 2.0);
    const std::string csv = output::results_csv({r});
    CHECK(csv.find("," + units::round_trip(ratio) + ",") != std::string::npos);  // serving columns follow
    CHECK(output::summary_text(r).find("(peak 2×)") != std::string::npos);
}

TEST_CASE("train: stage_layers counts what layer_kinds puts in each rank's chunks, dense and MoE") {
    for (const char* id : {"llama3_405b", "deepseek_v3", "mixtral_8x7b", "megatron_gpt_529.6b"}) {
        const auto& w = *test::source_catalog().workloads.at(id);
        const auto kinds = train::layer_kinds(w);
        for (const std::int64_t pp : {1, 2, 7, 16, 35}) {
            for (const std::int64_t v : {1, 2, 3}) {
                if (pp * v > w.layers) continue;
                train::Plan p;
                p.pp = pp;
                p.virtual_stages = v;
                std::int64_t total = 0;
                for (std::int64_t r = 0; r < pp; ++r) {
                    train::StageLayers expected;
                    const std::int64_t chunks = pp * v;
                    for (std::int64_t c = r; c < chunks; c += pp)
                        for (std::int64_t l = c * w.layers / chunks; l < (c + 1) * w.layers / chunks; ++l)
                            (kinds[static_cast<std::size_t>(l)] == train::LayerKind::moe ? expected.moe : expected.dense) += 1;
                    const auto n = train::stage_layers(w, p, r);
                    INFO(id, " pp ", pp, " v ", v, " rank ", r);
                    CHECK(n.dense == expected.dense);
                    CHECK(n.moe == expected.moe);
                    total += n.dense + n.moe;
                }
                CHECK(total == w.layers);
            }
        }
    }
}

TEST_CASE("train: recompute_layers recomputes the first layers of each model chunk, the others store everything") {
    // Llama 3 8B (32 layers) on pp 2 x v 2: 4 chunks of 8 layers.
    const Fixture f = make();
    auto with = [](train::Recompute rc, std::int64_t layers) {
        train::Plan p = plan(2, 2, 8, 2, 1);
        p.recompute = rc;
        p.recompute_layers = layers;
        return p;
    };
    const auto none = step_of(f, with(train::Recompute::none, 0));
    const auto full = step_of(f, with(train::Recompute::full, 0));
    // Every layer of a chunk is the same as full recomputation.
    const auto all = step_of(f, with(train::Recompute::full, 8));
    CHECK(all.time.step_s == doctest::Approx(full.time.step_s).epsilon(1e-12));
    CHECK(all.memory.total() == doctest::Approx(full.memory.total()).epsilon(1e-12));
    CHECK(all.hardware_flops == doctest::Approx(full.hardware_flops).epsilon(1e-12));
    // Half of them: half the recomputation, and activations half-way between none and full.
    const auto half = step_of(f, with(train::Recompute::full, 4));
    CHECK(half.time.recompute_s == doctest::Approx(full.time.recompute_s / 2).epsilon(1e-9));
    CHECK(half.time.step_s < full.time.step_s);
    CHECK(half.time.step_s > none.time.step_s);
    CHECK(half.memory.activations > full.memory.activations);
    CHECK(half.memory.activations < none.memory.activations);
    CHECK(half.hardware_flops == doctest::Approx((none.hardware_flops + full.hardware_flops) / 2).epsilon(1e-9));
    CHECK(half.model_flops == doctest::Approx(full.model_flops));
    CHECK(train::describe(with(train::Recompute::full, 4)) == "tp2 pp2 dp8 v2 mb1 sp full:4 zero1");
    // Counts per rank: the first 4 layers of each of its two chunks.
    const auto& w = *f.spec().workload;
    CHECK(train::recomputed_layers(w, with(train::Recompute::full, 4), 0).dense == 8);
    CHECK(train::recomputed_layers(w, with(train::Recompute::full, 0), 0).dense == 16);
    // Only with full recomputation, and at most a chunk's layers.
    for (const auto& [p, reason] :
         {std::pair{with(train::Recompute::selective, 4), "recompute_layers counts the layers that recompute in full"},
          std::pair{with(train::Recompute::full, 9), "recompute_layers 9 exceeds the 8 layers of a model chunk"}}) {
        auto r = train::evaluate(f.spec(), p, *f.cluster, false);
        REQUIRE(std::holds_alternative<train::Rejection>(r));
        CHECK(std::get<train::Rejection>(r).reason.find(reason) == 0);
    }
}

TEST_CASE("train: recompute_layers with dense layers first (MoE) and uneven chunks") {
    // DeepSeek-V3: 3 dense layers, then 58 MoE; pp 4 gives chunks of 15, 15, 15 and 16 layers.
    const auto& w = *test::source_catalog().workloads.at("deepseek_v3");
    train::Plan p;
    p.pp = 4;
    p.recompute = train::Recompute::full;
    p.recompute_layers = 5;
    const auto first = train::recomputed_layers(w, p, 0);  // layers 0-4: the 3 dense ones and 2 MoE
    CHECK(first.dense == 3);
    CHECK(first.moe == 2);
    const auto last = train::recomputed_layers(w, p, 3);
    CHECK(last.dense == 0);
    CHECK(last.moe == 5);
    CHECK(train::max_chunk_layers(w, p) == 16);
    // Hardware FLOPs: 20 of 61 layers recompute, by kind; all of them with recompute_layers = 16.
    using train::FlopConvention;
    const double none = train::step_flops(FlopConvention::exact_hardware, w, 8, 4096, train::Recompute::none);
    const double full = train::step_flops(FlopConvention::exact_hardware, w, 8, 4096, train::Recompute::full);
    const double part = train::step_flops(FlopConvention::exact_hardware, w, 8, 4096, p);
    CHECK(part > none);
    CHECK(part < full);
    p.recompute_layers = 16;
    CHECK(train::step_flops(FlopConvention::exact_hardware, w, 8, 4096, p) == doctest::Approx(full).epsilon(1e-12));
    // Model FLOPs never count recomputation.
    CHECK(train::step_flops(FlopConvention::exact_model, w, 8, 4096, p) ==
          doctest::Approx(train::step_flops(FlopConvention::exact_model, w, 8, 4096, train::Recompute::none)));
}

TEST_CASE("train: layers_per_stage splits the pipeline as listed, and its heaviest stage sets the pace") {
    // Llama 3 8B (32 layers) on tp2 pp4 dp4.
    const Fixture f = make();
    const auto& w = *f.spec().workload;
    auto with = [](std::vector<std::int64_t> list) {
        train::Plan p = plan(2, 4, 4);
        p.layers_per_stage = std::move(list);
        return p;
    };
    // The even split written out is the even split.
    const auto even = step_of(f, plan(2, 4, 4));
    const auto listed = step_of(f, with({8, 8, 8, 8}));
    CHECK(listed.time.step_s == doctest::Approx(even.time.step_s).epsilon(1e-12));
    CHECK(listed.memory.total() == doctest::Approx(even.memory.total()).epsilon(1e-12));
    // Each stage holds its entry; recompute_layers counts within it.
    auto uneven = with({7, 8, 10, 7});
    for (std::int64_t r = 0; r < 4; ++r)
        CHECK(train::stage_layers(w, uneven, r).dense == uneven.layers_per_stage[static_cast<std::size_t>(r)]);
    CHECK(train::max_chunk_layers(w, uneven) == 10);
    CHECK(train::describe(uneven) == "tp2 pp4(7/8/10/7) dp4 mb1 sp zero1");
    uneven.recompute = train::Recompute::full;
    uneven.recompute_layers = 9;
    CHECK(train::recomputed_layers(w, uneven, 2).dense == 9);
    CHECK(train::recomputed_layers(w, uneven, 0).dense == 7);
    uneven.recompute = train::Recompute::none;
    uneven.recompute_layers = 0;
    // The 10-layer stage sets the pace (the last holds 7 and the head, about 2.4 layers' work): its
    // tensor-parallel exchanges per micro-batch are 10 layers' where the even split's slowest rank has 8.
    const auto s = step_of(f, uneven);
    const double m = static_cast<double>(s.micro_batches);
    CHECK(s.time.tp_comm_s / m == doctest::Approx(even.time.tp_comm_s / m * 10.0 / 8.0).epsilon(1e-12));
    // The even split's slowest rank is the last (8 layers and the head): a layer moved off it is faster;
    // one more on the heaviest stage is slower.
    CHECK(s.time.step_s < even.time.step_s);
    CHECK(step_of(f, with({7, 7, 11, 7})).time.step_s > s.time.step_s);
    // The first stage keeps pp micro-batches in flight: more layers there, more memory.
    CHECK(step_of(f, with({10, 8, 7, 7})).memory.total() > even.memory.total());
    // In results.csv as the plan gave it.
    std::string text = small_job;
    text += "      plan: {tp: 2, pp: 4, micro_batch: 1, sequence_parallel: true, optimizer: zero1, layers_per_stage: [7, 8, 10, 7]}\n";
    const auto run = run::run_scenario(scenario::load_scenario_text(text, "step-test.yaml", test::source_catalog()));
    REQUIRE(run.cases.size() == 1);
    CHECK(row_cells(run.cases.front())["pipeline_layers_per_stage"] == "7/8/10/7");
    // A list that does not fit the plan or the workload is a plan problem.
    for (const auto& [p, reason] : {std::pair{with({8, 8, 16}), "layers_per_stage lists 3 stages of 32 layers in all"},
                                    std::pair{with({8, 8, 8, 9}), "layers_per_stage lists 4 stages of 33 layers in all"},
                                    std::pair{with({16, 16, 0, 0}), "layers_per_stage lists 4 stages of 32 layers in all"}}) {
        auto r = train::evaluate(f.spec(), p, *f.cluster, false);
        REQUIRE(std::holds_alternative<train::Rejection>(r));
        CHECK(std::get<train::Rejection>(r).reason.find(reason) == 0);
    }
    auto interleaved = with({8, 8, 8, 8});
    interleaved.virtual_stages = 2;
    auto r = train::evaluate(f.spec(), interleaved, *f.cluster, false);
    REQUIRE(std::holds_alternative<train::Rejection>(r));
    CHECK(std::get<train::Rejection>(r).reason.find("layers_per_stage splits the layers") == 0);
}

TEST_CASE("train: activation_cache: fp8 reaches the step's memory, and the CSV says so") {
    // Mixtral 8x7B in FP8 on 8 H100s, EP8: per layer, the 8,192 routed rows' SwiGLU inputs (2 x 14,336 values) one
    // byte smaller and the attention output (32 x 128 per token) 1.5 bytes smaller; 32 layers, one micro-batch.
    auto job = [](const char* cache) {
        return std::string(R"(
format: 1
scenario: cache
cases:
  - name: job
    system: hgx_h100_8gpu
    training:
      workload: mixtral_8x7b
      global_batch: 8
      seq_len: 4096
      precision: fp8
      plan: {tp: 1, dp: 8, ep: 8, micro_batch: 1, optimizer: zero1}
      execution: {activation_cache: )") + cache + "}\n";
    };
    const Fixture te = make(job("bf16"));
    const Fixture ds = make(job("fp8"));
    CHECK(ds.spec().execution.fp8_activation_cache);
    const auto plan = *te.spec().plan;
    const double saved = 32 * (8192.0 * 2 * 14336 * 1 + 4096.0 * 32 * 128 * 1.5);
    CHECK(step_of(te, plan).memory.activations - step_of(ds, plan).memory.activations == doctest::Approx(saved));
    const auto r = run::run_scenario(ds.sc);
    REQUIRE(output::results_columns().back() == "training_overlap_tp_backward");
    const std::string row = output::results_row(r.cases.front(), nullptr);
    // The last v13 column, then v14's and v15's, empty here, v16's (no offloading), v17's, v18's and v19's (earlier
    // cells may hold quoted commas).
    CHECK(row.substr(row.size() - 43) == ",fp8,,,,0,0,0,flat,fused,fused,whole,false\n");
}

TEST_CASE("train: results.csv holds the plan's recompute_layers and the execution switches") {
    std::string text = small_job;
    text += "      plan: {tp: 2, pp: 2, virtual_stages: 2, micro_batch: 1, sequence_parallel: true, recompute: full, "
            "recompute_layers: 4, optimizer: zero1}\n";
    const auto sc = scenario::load_scenario_text(text, "step-test.yaml", test::source_catalog());
    const auto run = run::run_scenario(sc);
    REQUIRE(run.cases.size() == 1);
    REQUIRE(run.cases[0].training->step);
    const auto cells = row_cells(run.cases[0]);
    const auto cols = output::results_columns();
    auto cell = [&](std::string_view name) {
        const auto it = cells.find(name);
        REQUIRE(it != cells.end());
        return it->second;
    };
    CHECK(cell("recompute_layers") == "4");
    // The execution switches as the case runs them (here the defaults); no serving job: empty.
    CHECK(cell("training_attention") == "flash");
    CHECK(cell("training_overlap_grad_reduce") == "true");
    CHECK(cell("training_grad_reduce_bytes_per_element") == "4");
    CHECK(cell("training_rank_order") == "tp-cp-ep-dp-pp");
    CHECK(cell("training_forced_algorithms").empty());
    CHECK(cell("training_memory_reserve_fraction") == "0.1");
    CHECK(cell("training_overlap_ep_comm") == "false");
    CHECK(cell("training_fp8_scaling") == "tensor");
    CHECK(cell("training_dispatch_bytes_per_element") == "2");
    CHECK(cell("training_ep_algorithm").empty());  // a dense workload exchanges no tokens
    CHECK(cols[cols.size() - 17] == "training_ep_bottleneck");  // v11 appends its columns after every v10 column
    CHECK(cell("serving_overlap_comm").empty());
    CHECK(cell("serving_fp8_scaling").empty());
    CHECK(cell("decode_shared_expert_ranks").empty());  // v12
    CHECK(cell("recompute_modules").empty());            // v13: full recomputation
    CHECK(cell("pipeline_schedule") == "1f1b");
    CHECK(cell("training_activation_cache") == "bf16");
    CHECK(cell("pipeline_layers_per_stage").empty());  // v14: the even split
    CHECK(cell("training_activation_offload_layers") == "0");  // v16: nothing offloaded
    CHECK(cell("offloaded_per_chip_bytes") == "0");
    CHECK(cell("offload_s") == "0");
    CHECK(cell("prefill_activation_quant").empty());   // v15: no serving job
    CHECK(cell("training_fsdp") == "flat");            // v17
    CHECK(cell("training_grad_accumulation") == "fused");
    CHECK(cell("training_rope") == "fused");            // v18
    CHECK(cell("training_pipeline_sends") == "whole");  // v19
    CHECK(cell("training_overlap_tp_backward") == "false");
    CHECK(cols.back() == "training_overlap_tp_backward");
}

namespace {
/// The kernel breakdown's rows add up to the step's compute_s and recompute_s.
train::KernelBreakdown checked_breakdown(const Fixture& f, const train::Plan& p) {
    auto r = train::kernel_breakdown(f.spec(), p, *f.cluster);
    if (auto* rej = std::get_if<train::Rejection>(&r)) FAIL(rej->reason);
    auto b = std::get<train::KernelBreakdown>(std::move(r));
    const auto step = step_of(f, p);
    CHECK(b.step.time.step_s == step.time.step_s);
    double compute = 0, recompute = 0;
    for (const auto& row : b.rows) {
        compute += row.step_s();
        if (row.pass == "recompute") recompute += row.step_s();
        CHECK(row.cost.time_s > 0);
        CHECK(row.calls_per_step > 0);
    }
    CHECK(compute == doctest::Approx(step.time.compute_s).epsilon(1e-12));
    CHECK(recompute == doctest::Approx(step.time.recompute_s).epsilon(1e-12));
    return b;
}

std::vector<std::string_view> names(const train::KernelBreakdown& b, std::string_view part, std::string_view pass) {
    std::vector<std::string_view> out;
    for (const auto& row : b.rows)
        if (row.part == part && row.pass == pass) out.push_back(chip::name_of(row.op));
    return out;
}
}  // namespace

TEST_CASE("train: grad_accumulation adds each micro-batch's weight gradients into the step's, as the framework does") {
    // Bytes per parameter per micro-batch, averaged over a step's m micro-batches: autograd's 16-bit += from the second
    // on (6), a hook into an fp32 (10) or a 16-bit buffer (6) and DeepSpeed's cast then add (18) on every one; the
    // fused products none.
    CHECK(train::grad_accumulation_bytes(train::GradAccumulation::autograd, 1) == 0);
    CHECK(train::grad_accumulation_bytes(train::GradAccumulation::autograd, 4) == doctest::Approx(4.5));
    CHECK(train::grad_accumulation_bytes(train::GradAccumulation::fp32, 4) == 10);
    CHECK(train::grad_accumulation_bytes(train::GradAccumulation::fp16, 4) == 6);
    CHECK(train::grad_accumulation_bytes(train::GradAccumulation::fp32_cast, 1) == 18);
    CHECK(train::grad_accumulation_bytes(train::GradAccumulation::fused, 8) == 0);

    // Llama 3 8B on 32 H100s under zero1, 2 micro-batches: one grad_accumulate kernel per part and micro-batch, in the
    // backward pass, moving (m - 1) x 6 bytes per parameter the rank holds over the step.
    Fixture f = make();
    auto p = plan(1, 1, 32);
    p.optimizer = train::Optimizer::zero1;
    auto& e = f.sc.cases.front().training->execution;
    const auto fused = step_of(f, p);
    e.grad_accumulation = train::GradAccumulation::autograd;
    const auto b = checked_breakdown(f, p);
    const double m = static_cast<double>(b.step.micro_batches);
    REQUIRE(m == 2);
    double bytes = 0, time = 0;
    for (const auto& row : b.rows)
        if (chip::name_of(row.op) == "grad_accumulate") {
            CHECK(row.pass == "backward");
            bytes += std::get<chip::MemoryOp>(row.op).bytes * row.calls_per_step;
            time += row.step_s();
        }
    const double params = train::params_per_chip(*f.spec().workload, p);
    CHECK(bytes == doctest::Approx((m - 1) * 6 * params));
    CHECK(b.step.time.compute_s - fused.time.compute_s == doctest::Approx(time));
    // zero3 reduces every micro-batch's gradients: nothing accumulates in full.
    p.optimizer = train::Optimizer::zero3;
    const auto z3 = step_of(f, p);
    e.grad_accumulation = train::GradAccumulation::fused;
    CHECK(step_of(f, p).time.compute_s == z3.time.compute_s);
}

TEST_CASE("train: the kernel breakdown lists the slowest rank's kernels, named, and they add up to compute_s") {
    const Fixture f = make();  // Llama 3 8B, 32 layers, 64 sequences of 4096
    // Data parallel only: one rank runs every part; no recomputation.
    const auto flat = checked_breakdown(f, plan(1, 1, 32, 1, 2));
    CHECK(flat.step.slowest_rank == 0);
    using V = std::vector<std::string_view>;
    CHECK(names(flat, "layer", "forward") == V{"attention_norm", "qkv", "rotary_q", "rotary_k", "attention", "out_proj",
                                                            "attention_residual", "mlp_norm", "gate_up", "swiglu", "down",
                                                            "mlp_residual"});
    CHECK(names(flat, "embedding", "forward") == V{"embedding"});
    CHECK(names(flat, "head", "forward") == V{"final_norm", "logits", "cross_entropy"});
    CHECK(names(flat, "layer_no_recompute", "forward").empty());  // only recompute_layers leaves layers out
    CHECK(names(flat, "layer", "recompute").empty());
    // The backward pass in reverse order, each product's input gradient then its weight gradient.
    const auto backward = names(flat, "layer", "backward");
    REQUIRE(backward.size() == 16);  // 7 memory-bound (the rotary embedding's two), the attention, 4 products x 2
    CHECK(backward.front() == "mlp_residual");
    CHECK(backward.back() == "attention_norm");
    int pairs = 0;
    for (std::size_t i = 0; i < flat.rows.size(); ++i) {
        const auto& row = flat.rows[i];
        if (row.part != "layer") continue;
        CHECK(row.calls_per_step == 32.0);  // 32 layers x 1 micro-batch (64 / (2 x 32))
        const auto* mm = std::get_if<chip::Matmul>(&row.op);
        if (!mm) continue;
        if (row.pass == "forward") CHECK(mm->gradient == chip::Gradient::none);
        if (mm->gradient != chip::Gradient::input) continue;
        REQUIRE(i + 1 < flat.rows.size());
        const auto* next = std::get_if<chip::Matmul>(&flat.rows[i + 1].op);
        REQUIRE(next);
        CHECK(next->gradient == chip::Gradient::weight);
        CHECK(next->name == mm->name);
        ++pairs;
    }
    CHECK(pairs == 4);
    // A pipeline with full recomputation of the first 2 layers per chunk: the head's rank sets the pace; its
    // recomputing layers re-run their forward kernels.
    train::Plan piped = plan(2, 4, 4);
    piped.recompute = train::Recompute::full;
    piped.recompute_layers = 2;
    const auto pipe = checked_breakdown(f, piped);
    CHECK(pipe.step.slowest_rank == 3);
    CHECK(names(pipe, "embedding", "forward").empty());
    CHECK(names(pipe, "head", "forward").size() == 3);
    CHECK(names(pipe, "layer", "recompute") == names(pipe, "layer", "forward"));
    CHECK(names(pipe, "layer_no_recompute", "recompute").empty());
    const double m = static_cast<double>(pipe.step.micro_batches);
    for (const auto& row : pipe.rows)
        if (row.part == "layer") CHECK(row.calls_per_step == 2 * m);
        else if (row.part == "layer_no_recompute") CHECK(row.calls_per_step == 6 * m);
    // Uneven stages: the listed split's heaviest stage.
    train::Plan listed = plan(2, 4, 4);
    listed.layers_per_stage = {6, 12, 7, 7};
    CHECK(checked_breakdown(f, listed).step.slowest_rank == 1);
}

TEST_CASE("train: the kernel breakdown of DeepSeek-V3 under DualPipe: both stages of a rank, MoE, MTP, FP8 casts") {
    std::string text = small_job;
    text.replace(text.find("llama3_8b"), 9, "deepseek_v3");
    text += "      precision: fp8\n";
    Fixture f = make(text);
    train::Plan p = plan(1, 4, 8);
    p.ep = 8;
    p.schedule = train::PipelineSchedule::dualpipe;
    p.recompute = train::Recompute::selective;
    const auto b = checked_breakdown(f, p);
    // Rank 0 holds stages 0 and 3: the 3 dense layers and the embedding, and the head and the MTP module, each
    // run by half the micro-batches.
    CHECK(b.step.slowest_rank == 0);
    const double m = static_cast<double>(b.step.micro_batches);
    for (const std::string_view part : {"layer", "moe_layer", "embedding", "head", "mtp", "mtp_layer"})
        CHECK_MESSAGE(!names(b, part, "forward").empty(), part);
    for (const auto& row : b.rows) {
        if (row.part == "embedding" || row.part == "mtp") CHECK(row.calls_per_step == m / 2);
        if (row.part == "head") CHECK(row.calls_per_step == m);  // the head, and again after the MTP module
    }
    const auto moe = names(b, "moe_layer", "forward");
    for (const std::string_view k : {"router", "permute", "regroup", "experts_gate_up", "experts_down", "combine", "shared_gate_up",
                                     "fp8_cast", "q_down", "kv_up"})
        CHECK_MESSAGE(std::find(moe.begin(), moe.end(), k) != moe.end(), k);
    // Selective recomputation re-runs the attention core only (once per stage: the rank's two hold MoE layers).
    CHECK(names(b, "moe_layer", "recompute") == std::vector<std::string_view>{"attention", "attention"});
    // Every kernel the model costs has a name.
    for (const auto& row : b.rows) CHECK_MESSAGE(!chip::name_of(row.op).empty(), row.part, " ", row.pass, " ", row.index);
}
