// SPDX-License-Identifier: Apache-2.0
// The Engine: the public façade over EngineImpl (runtime/engine_impl.hpp).
#include "eqlpp/engine.hpp"

#include "runtime/engine_impl.hpp"

namespace eqlpp {

Engine::Engine(EngineOptions options)
    : impl_(std::make_unique<detail::EngineImpl>(std::move(options))) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

void Engine::add_rule(Rule rule) { impl_->add_rule(std::move(rule)); }
FieldId Engine::field(std::string_view path) { return impl_->fields.intern(path); }
void Engine::on_alert(std::function<void(const Alert&)> cb) {
  impl_->alerts.on_alert = std::move(cb);
}
void Engine::on_late(std::function<void(const LateEvent&)> cb) {
  impl_->reorder.on_late = std::move(cb);
}
Status Engine::push_json(std::string_view line) { return impl_->push_json(line); }
std::size_t Engine::push_json_lines(std::string_view lines,
                                    const std::function<void(const LineError&)>& on_error) {
  return impl_->push_json_lines(lines, on_error);
}
Status Engine::push(const Record& record) { return impl_->push(record); }
void Engine::finish() { impl_->finish(); }
EngineStats Engine::stats() const { return impl_->snapshot(); }
const EngineOptions& Engine::options() const noexcept { return impl_->opts; }
Status Engine::trace(std::string_view rule, std::function<void(const TraceEntry&)> sink) {
  return impl_->trace(rule, std::move(sink));
}

}  // namespace eqlpp
