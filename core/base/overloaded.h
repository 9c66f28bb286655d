// Overloaded{lambdas...}: one visitor from several lambdas, for std::visit over the variants
// that carry inputs, commands, calls and events.
#pragma once

namespace atl {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace atl
