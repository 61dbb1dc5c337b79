// Prints the chip comparison tables of docs/models/chip.md (markdown), so that the document can be
// regenerated whenever the catalog or the model changes:
//   cmake --build --preset release && ./build/release/bench/chip_compare
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "chip/chip_model.hpp"
#include "chip/op_cost.hpp"
#include "chip/transformer_layer.hpp"
#include "scenario/catalog_loader.hpp"

using namespace clustersim;

int main() {
    const auto cat = scenario::load_catalog(std::filesystem::path(CLUSTERSIM_SOURCE_DIR) / "models");
    const std::vector<std::string> ids{"nvidia_h20", "nvidia_h100_sxm", "ascend_910b", "ascend_910c", "ascend_950dt"};
    std::vector<chip::ChipModel> chips;
    for (const auto& id : ids) chips.push_back(std::get<chip::ChipModel>(chip::make_chip_model(cat.chips.at(id))));
    const auto& l = chip::llama3_70b_layer;
    const auto d = chip::DType::bf16;

    std::printf("Training shapes (BF16, Llama 3 70B layer, 8,192 tokens): delivered TFLOP/s (share of peak)\n\n");
    std::printf("| shape |");
    for (const auto& id : ids) std::printf(" %s |", id.c_str());
    std::printf("\n|---|");
    for (std::size_t i = 0; i < ids.size(); ++i) std::printf("---|");
    std::printf("\n");
    auto row = [&](const char* name, const chip::Operation& op) {
        std::printf("| %s |", name);
        for (const auto& c : chips) {
            const auto r = chip::cost(c, op);
            std::printf(" %.0f (%.0f%%) |", r.delivered_flop_per_s() / 1e12, 100.0 * r.delivered_flop_per_s() / c.peak(d));
        }
        std::printf("\n");
    };
    row("QKV projection 8192 x 10240 x 8192", chip::Matmul{8192, 10240, 8192, 1, d});
    row("output projection 8192 x 8192 x 8192", chip::Matmul{8192, 8192, 8192, 1, d});
    row("MLP gate+up 8192 x 57344 x 8192", chip::Matmul{8192, 2 * l.ffn, l.hidden, 1, d});
    row("MLP down 8192 x 8192 x 28672", chip::Matmul{8192, l.hidden, l.ffn, 1, d});
    chip::Attention att;
    att.heads_q = l.heads_q;
    att.heads_kv = l.heads_kv;
    att.head_dim = l.head_dim;
    att.seq_q = att.seq_kv = 8192;
    row("attention forward, 8192 causal", att);
    att.pass = chip::Pass::backward;
    row("attention backward, 8192 causal", att);
    std::printf("| whole layer forward (10 kernels) |");
    for (const auto& c : chips) {
        const auto r = chip::cost(c, chip::prefill_layer(l, 1, 8192, d));
        std::printf(" %.0f (%.0f%%) |", r.delivered_flop_per_s() / 1e12, 100.0 * r.delivered_flop_per_s() / c.peak(d));
    }
    std::printf("\n\nDecode (BF16, one Llama 3 70B layer, 4,096 tokens of context per sequence): time per step in us, "
                "and the share of it in memory-bound kernels\n\n| batch |");
    for (const auto& id : ids) std::printf(" %s |", id.c_str());
    std::printf(" fastest |\n|---|");
    for (std::size_t i = 0; i <= ids.size(); ++i) std::printf("---|");
    std::printf("\n");
    for (const std::int64_t b : {1, 8, 32, 64, 128, 256}) {
        std::printf("| %lld |", static_cast<long long>(b));
        double best = 1e30;
        std::string best_id;
        for (std::size_t i = 0; i < chips.size(); ++i) {
            const auto r = chip::cost(chips[i], chip::decode_layer(l, b, 4096, d));
            std::printf(" %.0f (%.0f%% mem) |", r.time_s * 1e6, 100.0 * r.memory_bound_s / r.time_s);
            if (r.time_s < best) {
                best = r.time_s;
                best_id = ids[i];
            }
        }
        std::printf(" %s |\n", best_id.c_str());
    }
    std::printf("\nH20 vs Ascend 910C, decode time ratio (910C / H20; above 1: the H20 is faster):\n\n| batch | ratio |\n|---|---|\n");
    for (const std::int64_t b : {1, 8, 32, 64, 96, 128, 192, 256}) {
        const double h20 = chip::cost(chips[0], chip::decode_layer(l, b, 4096, d)).time_s;
        const double a910c = chip::cost(chips[3], chip::decode_layer(l, b, 4096, d)).time_s;
        std::printf("| %lld | %.2f |\n", static_cast<long long>(b), a910c / h20);
    }
    return 0;
}
