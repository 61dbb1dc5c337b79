#pragma once
// What goes wrong in the collective layer. Library code throws these; only app/ maps them to
// exit codes.
#include <stdexcept>
#include <string>
#include <vector>

namespace clustersim::comm {

/// Base of every error the collective layer throws (bad placement, bad spec, limits exceeded).
class CommError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A registry lookup by a name that is not registered; the message lists the valid names.
class UnknownAlgorithm : public CommError {
public:
    UnknownAlgorithm(const std::string& name, std::vector<std::string> valid_names);
    [[nodiscard]] const std::vector<std::string>& valid_names() const { return valid_; }

private:
    std::vector<std::string> valid_;
};

/// An algorithm asked for by name that cannot run this collective on this group (the message says why).
class NotApplicable : public CommError {
public:
    using CommError::CommError;
};

}  // namespace clustersim::comm
