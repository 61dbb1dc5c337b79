#pragma once
// What goes wrong in the topology layer: invalid parameters (every problem at once, by
// parameter name) and the typed errors library code throws. Only app/ maps them to exit codes.
#include <stdexcept>
#include <string>
#include <vector>

namespace clustersim::topo {

/// One invalid parameter: its path in the params struct ("tiers[1].radix") and what is wrong.
struct Problem {
    std::string parameter;
    std::string message;

    friend bool operator==(const Problem&, const Problem&) = default;
};

/// "parameter: message; parameter: message" (for exception texts and logs).
std::string format(const std::vector<Problem>& problems);

/// Base of every error the topology layer throws.
class TopologyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown by build() and analyze() when validate() reports problems; holds all of them.
class InvalidParams : public TopologyError {
public:
    explicit InvalidParams(std::vector<Problem> problems);
    [[nodiscard]] const std::vector<Problem>& problems() const { return problems_; }

private:
    std::vector<Problem> problems_;
};

/// A registry lookup by a name that is not registered; the message lists the valid names.
class UnknownBuilder : public TopologyError {
public:
    UnknownBuilder(const std::string& name, std::vector<std::string> valid_names);
    [[nodiscard]] const std::vector<std::string>& valid_names() const { return valid_; }

private:
    std::vector<std::string> valid_;
};

}  // namespace clustersim::topo
