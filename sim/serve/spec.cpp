#include "serve/spec.hpp"

#include <fmt/format.h>

#include <cmath>

namespace clustersim::serve {

double Speculation::tokens_per_step() const {
    // 1 + a + a^2 + ... + a^d (Leviathan et al., "Fast Inference from Transformers via Speculative
    // Decoding", ICML 2023, eq. 1 without its last term: the bonus token is the 1).
    double tokens = 1.0;
    double p = 1.0;
    for (std::int64_t i = 0; i < draft_tokens; ++i) {
        p *= acceptance;
        tokens += p;
    }
    return tokens;
}

std::string describe(const ServingPlan& p) {
    std::string out = fmt::format("{} chips", p.chips);
    if (p.ranks_per_chip > 1) out += fmt::format(" x{} ranks", p.ranks_per_chip);
    out += fmt::format(" tp{} ep{}", p.tp, p.ep);
    if (p.shared_expert_ranks > 0) out += fmt::format(" ({} shared)", p.shared_expert_ranks);
    out += p.batch > 0 ? fmt::format(" batch {}", p.batch) : std::string(" batch searched");
    return out;
}

}  // namespace clustersim::serve
