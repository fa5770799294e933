#include "sim/world.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/strings.h"
#include "nlohmann/json.hpp"

namespace epsim::sim {
namespace {

// Codes of the traced events; they feed the trace hash, so never renumber.
enum TraceCode : uint64_t {
  kSendCode = 1,
  kDeliverCode,
  kDropCode,
  kDuplicateCode,
  kLostCode,
  kBlockedCode,
  kRetransmitCode,
  kHoldCode,
  kSetTimerCode,
  kCancelTimerCode,
  kTimerCode,
  kActionCode,
  kCrashCode,
  kRestartCode,
  kPauseCode,
  kResumeCode,
  kPartitionCode,
  kHealCode,
  kCutCode,
  kRestoreCode,
  kLossCode,
  kDuplicationCode,
  kJitterCode,
  kSlowdownCode,
  kLinkKindCode,
};

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kNetworkStream = 0x6e6574776f726bULL;  // "network"

std::string Quoted(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

uint64_t HashBytes(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace

// --- Scheduler hooks ---------------------------------------------------------

void Scheduler::Transmit(Envelope envelope) {
  world_.Transmit(std::move(envelope));
}
void Scheduler::ArriveNow(Envelope envelope, uint64_t sequence) {
  ++world_.stats_.events;
  world_.ArriveNow(std::move(envelope), sequence);
}
void Scheduler::QueueTimer(const TimerRecord& timer, Time at) {
  world_.QueueTimer(timer, at);
}
void Scheduler::QueueArrival(Envelope envelope, Time at) {
  world_.QueueArrival(std::move(envelope), at, World::EventKind::kDelivery);
}
void Scheduler::FireNow(const TimerRecord& timer) {
  if (world_.FireTimer(timer)) ++world_.stats_.events;
}
void Scheduler::DropMessage(const Envelope& envelope, std::string_view reason) {
  world_.DropMessage(envelope, reason);
}

// --- World -------------------------------------------------------------------

World::World(uint64_t seed, Topology topology, NetworkConfig config)
    : topology_(std::move(topology)),
      config_(config),
      rng_(seed),
      net_rng_(Rng(seed).Fork(kNetworkStream)),
      scheduler_(std::make_unique<TimedScheduler>(*this)) {
  const int sites = topology_.SiteCount();
  site_delay_.resize(static_cast<size_t>(sites) * sites);
  for (int a = 0; a < sites; ++a) {
    for (int b = 0; b < sites; ++b) {
      site_delay_[a * sites + b] =
          a == b ? config_.same_site_delay
                 : std::llround(topology_.rtt_ms[a][b] * kMillisecond / 2);
    }
  }
  EPSIM_CHECK(config_.same_site_delay >= 0) << "negative same_site_delay";
  EPSIM_CHECK(config_.retransmit_delay > 0) << "retransmit_delay must be > 0";
}

World::~World() = default;

ChoiceScheduler& World::UseChoiceScheduler() {
  if (choice_ != nullptr) return *choice_;
  EPSIM_CHECK(stats_.messages_sent == 0 && stats_.timers_set == 0)
      << "UseChoiceScheduler() after messages or timers were scheduled";
  auto choice = std::make_unique<ChoiceScheduler>(*this);
  choice_ = choice.get();
  scheduler_ = std::move(choice);
  return *choice_;
}

NodeId World::AddNode(std::string name, int site, Process* process) {
  EPSIM_CHECK(site >= 0 && site < topology_.SiteCount())
      << "AddNode(" << name << "): no site " << site << " in topology "
      << topology_.name;
  EPSIM_CHECK(process != nullptr) << "AddNode(" << name << "): null process";
  Node node;
  node.name = std::move(name);
  node.site = site;
  node.process = process;
  nodes_.push_back(std::move(node));
  group_.push_back(-1);
  ResizeLinks();
  return static_cast<NodeId>(nodes_.size() - 1);
}

void World::ResizeLinks() {
  const size_t n = nodes_.size();
  const size_t old = n - 1;
  std::vector<uint8_t> cut(n * n, 0);
  std::vector<double> slowdown(n * n, 1.0);
  std::vector<int8_t> kind(n * n, -1);
  for (size_t a = 0; a < old; ++a) {
    for (size_t b = 0; b < old; ++b) {
      cut[a * n + b] = cut_[a * old + b];
      slowdown[a * n + b] = slowdown_[a * old + b];
      kind[a * n + b] = link_kind_[a * old + b];
    }
  }
  cut_ = std::move(cut);
  slowdown_ = std::move(slowdown);
  link_kind_ = std::move(kind);
}

void World::NoSuchNode(NodeId node, const char* what) const {
  EPSIM_CHECK(node >= 0 && node < NodeCount())
      << what << ": no node " << node << " (the world has " << NodeCount()
      << ")";
  std::abort();  // (not reached: the check throws)
}

// The queue is a 4-ary heap: half the levels of a binary heap, and a
// node's four children sit next to each other (one or two cache lines), so
// a pop touches fewer lines. Which layout the heap has never shows: (time,
// sequence) orders events totally.
namespace {
constexpr size_t kHeapArity = 4;
}  // namespace

void World::Push(Time time, EventKind kind, uint32_t slot) {
  const Event event{time, next_sequence_++, slot, kind};
  queue_.push_back(event);
  size_t i = queue_.size() - 1;
  while (i > 0) {
    const size_t parent = (i - 1) / kHeapArity;
    if (!EventAfter()(queue_[parent], event)) break;
    queue_[i] = queue_[parent];
    i = parent;
  }
  queue_[i] = event;
}

void World::SiftDown(size_t i) {
  const size_t n = queue_.size();
  const Event event = queue_[i];
  for (;;) {
    const size_t first = kHeapArity * i + 1;
    if (first >= n) break;
    const size_t end = std::min(first + kHeapArity, n);
    size_t earliest = first;
    for (size_t c = first + 1; c < end; ++c) {
      if (EventAfter()(queue_[earliest], queue_[c])) earliest = c;
    }
    if (!EventAfter()(event, queue_[earliest])) break;
    queue_[i] = queue_[earliest];
    i = earliest;
  }
  queue_[i] = event;
}

World::Event World::PopNext() {
  const Event event = queue_.front();
  if (queue_.size() > 1) {
    queue_.front() = queue_.back();
    queue_.pop_back();
    SiftDown(0);
  } else {
    queue_.pop_back();
  }
  return event;
}

uint32_t World::StoreMessage(Envelope envelope) {
  if (free_messages_.empty()) {
    messages_.push_back(std::move(envelope));
    return static_cast<uint32_t>(messages_.size() - 1);
  }
  const uint32_t slot = free_messages_.back();
  free_messages_.pop_back();
  messages_[slot] = std::move(envelope);
  return slot;
}

Envelope World::TakeMessage(uint32_t slot) {
  Envelope envelope = std::move(messages_[slot]);
  messages_[slot].payload = nullptr;
  free_messages_.push_back(slot);
  return envelope;
}

uint32_t World::StoreTimer(const TimerRecord& timer) {
  if (free_timers_.empty()) {
    timers_.push_back(timer);
    return static_cast<uint32_t>(timers_.size() - 1);
  }
  const uint32_t slot = free_timers_.back();
  free_timers_.pop_back();
  timers_[slot] = timer;
  return slot;
}

TimerRecord World::TakeTimer(uint32_t slot) {
  free_timers_.push_back(slot);
  return timers_[slot];
}

void World::Send(NodeId from, NodeId to, PayloadPtr payload) {
  CheckNode(from, "Send");
  CheckNode(to, "Send");
  EPSIM_CHECK(payload != nullptr) << "Send: null payload";
  if (nodes_[from].crashed) return;
  Envelope envelope;
  envelope.id = next_message_id_++;
  envelope.from = from;
  envelope.to = to;
  envelope.receiver_epoch = nodes_[to].epoch;
  envelope.sent = now_;
  envelope.payload = std::move(payload);
  ++stats_.messages_sent;
  TraceMessage(kSendCode, "send", envelope);
  if (nodes_[to].crashed) {
    DropMessage(envelope, "receiver crashed");
    return;
  }
  const uint64_t sequence = next_sequence_++;
  scheduler_->OnSend(std::move(envelope), sequence);
}

Duration World::BaseDelay(NodeId from, NodeId to) const {
  const Duration base =
      site_delay_[nodes_[from].site * topology_.SiteCount() + nodes_[to].site];
  const double factor = slowdown_[LinkIndex(from, to)];
  const Duration slowed =
      factor == 1.0 ? base : std::llround(static_cast<double>(base) * factor);
  return slowed + config_.processing_delay;
}

Duration World::Delay(NodeId from, NodeId to) {
  Duration d =
      site_delay_[nodes_[from].site * topology_.SiteCount() + nodes_[to].site];
  if (config_.jitter.kind != JitterSpec::kNone) {
    d += config_.jitter.Draw(net_rng_);
  }
  const double factor = slowdown_[LinkIndex(from, to)];
  if (factor != 1.0) d = std::llround(static_cast<double>(d) * factor);
  // Per-message processing cost at the receiver (calibration knob).
  return d + config_.processing_delay;
}

void World::Transmit(Envelope envelope) {
  ++envelope.attempts;
  if (config_.loss > 0 && net_rng_.Bernoulli(config_.loss)) {
    if (LinkKindOf(envelope.from, envelope.to) == LinkKind::kLossy) {
      DropMessage(envelope, "lost");
    } else {
      TraceMessage(kLostCode, "lost", envelope);
      Push(now_ + config_.retransmit_delay, EventKind::kRetransmit,
           StoreMessage(std::move(envelope)));
    }
    return;
  }
  if (envelope.attempts == 1 && config_.duplication > 0 &&
      net_rng_.Bernoulli(config_.duplication)) {
    Envelope copy = envelope;
    copy.id = next_message_id_++;
    ++stats_.duplicated;
    TraceMessage(kDuplicateCode, "duplicate", copy, "of",
                 absl::StrCat(envelope.id));
    const Time at = now_ + Delay(copy.from, copy.to);
    QueueArrival(std::move(copy), at, EventKind::kArrival);
  }
  const Time at = now_ + Delay(envelope.from, envelope.to);
  QueueArrival(std::move(envelope), at, EventKind::kArrival);
}

void World::QueueArrival(Envelope envelope, Time at, EventKind kind) {
  EPSIM_CHECK(at >= now_) << "message queued in the past";
  Push(at, kind, StoreMessage(std::move(envelope)));
}

bool World::ReceiverGone(const Envelope& envelope) const {
  const Node& receiver = nodes_[envelope.to];
  return receiver.crashed || receiver.epoch != envelope.receiver_epoch;
}

void World::OnArrival(Envelope envelope, uint64_t sequence) {
  if (ReceiverGone(envelope)) {
    DropMessage(envelope, "receiver crashed");
    return;
  }
  if (!CanReach(envelope.from, envelope.to)) {
    const char* reason = cut_[LinkIndex(envelope.from, envelope.to)]
                             ? "link cut"
                             : "partitioned";
    if (LinkKindOf(envelope.from, envelope.to) == LinkKind::kLossy) {
      DropMessage(envelope, reason);
    } else {
      TraceMessage(kBlockedCode, "blocked", envelope, "reason", reason);
      Push(now_ + config_.retransmit_delay, EventKind::kRetransmit,
           StoreMessage(std::move(envelope)));
    }
    return;
  }
  ArriveNow(std::move(envelope), sequence);
}

void World::ArriveNow(Envelope envelope, uint64_t sequence) {
  if (ReceiverGone(envelope)) {
    DropMessage(envelope, "receiver crashed");
    return;
  }
  Node& receiver = nodes_[envelope.to];
  if (receiver.paused) {
    TraceMessage(kHoldCode, "hold", envelope);
    receiver.held.push_back(
        Held{sequence, /*is_timer=*/false, std::move(envelope), {}});
    return;
  }
  ++stats_.delivered;
  TraceMessage(kDeliverCode, "deliver", envelope);
  if (delivery_observer_) {
    delivery_observer_(DeliveryEvent{envelope.from, envelope.to, now_,
                                     envelope.sent, envelope.id,
                                     envelope.payload});
  }
  receiver.process->OnMessage(envelope.from, envelope.payload);
}

void World::DropMessage(const Envelope& envelope, std::string_view reason) {
  ++stats_.dropped;
  TraceMessage(kDropCode, "drop", envelope, "reason", reason);
}

TimerId World::SetTimer(NodeId node, Duration after, uint64_t tag) {
  CheckNode(node, "SetTimer");
  EPSIM_CHECK(after >= 0) << "SetTimer: negative delay " << after;
  const TimerId id = next_timer_id_++;
  if (timer_live_.size() >= trim_timers_at_) {
    // Forget the prefix of ids that are dead for good.
    const auto first_live =
        std::find(timer_live_.begin(), timer_live_.end(), uint8_t{1});
    timer_base_ += static_cast<TimerId>(first_live - timer_live_.begin());
    timer_live_.erase(timer_live_.begin(), first_live);
    trim_timers_at_ = std::max<size_t>(4096, 2 * timer_live_.size());
  }
  EPSIM_CHECK(id == timer_base_ + timer_live_.size());
  if (nodes_[node].crashed) {  // a crashed node has no timers
    timer_live_.push_back(0);
    return id;
  }
  TimerRecord timer;
  timer.id = id;
  timer.node = node;
  timer.epoch = nodes_[node].epoch;
  timer.tag = tag;
  timer.due = now_ + after;
  timer.sequence = next_sequence_++;
  timer_live_.push_back(1);
  ++stats_.timers_set;
  TraceTimer(kSetTimerCode, "set_timer", timer);
  scheduler_->OnTimerSet(timer);
  return id;
}

void World::CancelTimer(NodeId node, TimerId id) {
  CheckNode(node, "CancelTimer");
  if (!KillTimer(id)) return;
  if (++cancelled_since_compaction_ > 1024 &&
      2 * cancelled_since_compaction_ > queue_.size()) {
    CompactQueue();
  }
  Hash(kCancelTimerCode);
  Hash(static_cast<uint64_t>(now_));
  Hash(id);
  if (trace_ != nullptr) {
    TraceLine(absl::StrCat("{\"t\":", now_, ",\"ev\":\"cancel_timer\",",
                           "\"node\":", node, ",\"timer\":", id, "}"));
  }
  scheduler_->OnTimerCancelled(id);
}

void World::QueueTimer(const TimerRecord& timer, Time at) {
  EPSIM_CHECK(at >= now_) << "timer queued in the past";
  Push(at, EventKind::kTimer, StoreTimer(timer));
}

bool World::TimerStale(const TimerRecord& timer) const {
  const Node& node = nodes_[timer.node];
  return !TimerLive(timer.id) || node.crashed || node.epoch != timer.epoch;
}

bool World::FireTimer(const TimerRecord& timer) {
  if (TimerStale(timer)) {
    KillTimer(timer.id);
    return false;
  }
  Node& node = nodes_[timer.node];
  if (node.paused) {
    TraceTimer(kHoldCode, "hold_timer", timer);
    node.held.push_back(Held{timer.sequence, /*is_timer=*/true, {}, timer});
    return true;
  }
  KillTimer(timer.id);
  ++stats_.timers_fired;
  TraceTimer(kTimerCode, "timer", timer);
  node.process->OnTimer(timer.id, timer.tag);
  return true;
}

void World::At(Time when, std::function<void()> action, std::string label) {
  EPSIM_CHECK(when >= now_) << "At(" << when << ", " << label
                            << "): in the past (now " << now_ << ")";
  uint32_t slot;
  if (!free_actions_.empty()) {
    slot = free_actions_.back();
    free_actions_.pop_back();
    actions_[slot] = Action{std::move(action), std::move(label)};
  } else {
    slot = static_cast<uint32_t>(actions_.size());
    actions_.push_back(Action{std::move(action), std::move(label)});
  }
  Push(when, EventKind::kAction, slot);
}

// --- Faults
// --------------------------------------------------------------------

void World::Crash(NodeId node) {
  CheckNode(node, "Crash");
  Node& n = nodes_[node];
  if (n.crashed) return;
  n.crashed = true;
  n.paused = false;
  ++n.epoch;
  TraceNode(kCrashCode, "crash", node);
  std::vector<Held> held = std::move(n.held);
  n.held.clear();
  for (const Held& h : held) {
    if (!h.is_timer) DropMessage(h.envelope, "receiver crashed");
  }
  scheduler_->OnCrash(node);
  n.process->OnCrash();
}

void World::Restart(NodeId node) {
  CheckNode(node, "Restart");
  Node& n = nodes_[node];
  if (!n.crashed) return;
  n.crashed = false;
  TraceNode(kRestartCode, "restart", node);
  n.process->OnRestart();
}

void World::Pause(NodeId node) {
  CheckNode(node, "Pause");
  Node& n = nodes_[node];
  if (n.crashed || n.paused) return;
  n.paused = true;
  TraceNode(kPauseCode, "pause", node);
}

void World::Resume(NodeId node) {
  CheckNode(node, "Resume");
  Node& n = nodes_[node];
  if (!n.paused) return;
  n.paused = false;
  TraceNode(kResumeCode, "resume", node);
  std::vector<Held> held = std::move(n.held);
  n.held.clear();
  for (Held& h : held) {
    if (h.is_timer) {
      scheduler_->OnReleaseTimer(h.timer);
    } else {
      scheduler_->OnReleaseMessage(std::move(h.envelope), h.sequence);
    }
  }
}

void World::Partition(std::vector<std::vector<NodeId>> groups) {
  std::fill(group_.begin(), group_.end(), -1);
  std::string text;
  Hash(kPartitionCode);
  Hash(static_cast<uint64_t>(now_));
  for (size_t g = 0; g < groups.size(); ++g) {
    absl::StrAppend(&text, g == 0 ? "" : ",", "[");
    for (size_t i = 0; i < groups[g].size(); ++i) {
      const NodeId node = groups[g][i];
      CheckNode(node, "Partition");
      EPSIM_CHECK(group_[node] == -1)
          << "Partition: node " << node << " is in two groups";
      group_[node] = static_cast<int>(g);
      Hash((static_cast<uint64_t>(g) << 32) | static_cast<uint32_t>(node));
      absl::StrAppend(&text, i == 0 ? "" : ",", node);
    }
    absl::StrAppend(&text, "]");
  }
  partitioned_ = true;
  if (trace_ != nullptr) {
    TraceLine(absl::StrCat("{\"t\":", now_,
                           ",\"ev\":\"partition\",\"groups\":[", text, "]}"));
  }
}

void World::HealPartition() {
  partitioned_ = false;
  std::fill(group_.begin(), group_.end(), -1);
  std::fill(cut_.begin(), cut_.end(), 0);
  TraceSetting(kHealCode, "heal", "");
}

void World::CutLink(NodeId from, NodeId to) {
  CheckNode(from, "CutLink");
  CheckNode(to, "CutLink");
  cut_[LinkIndex(from, to)] = 1;
  TraceLink(kCutCode, "cut", from, to, "");
}

void World::RestoreLink(NodeId from, NodeId to) {
  CheckNode(from, "RestoreLink");
  CheckNode(to, "RestoreLink");
  cut_[LinkIndex(from, to)] = 0;
  TraceLink(kRestoreCode, "restore", from, to, "");
}

void World::SetLoss(double probability) {
  EPSIM_CHECK(probability >= 0 && probability <= 1)
      << "SetLoss(" << probability << ")";
  config_.loss = probability;
  Hash(std::bit_cast<uint64_t>(probability));
  TraceSetting(kLossCode, "loss", absl::StrCat(",\"p\":", probability));
}

void World::SetDuplication(double probability) {
  EPSIM_CHECK(probability >= 0 && probability <= 1)
      << "SetDuplication(" << probability << ")";
  config_.duplication = probability;
  Hash(std::bit_cast<uint64_t>(probability));
  TraceSetting(kDuplicationCode, "duplication",
               absl::StrCat(",\"p\":", probability));
}

void World::SetJitter(JitterSpec jitter) {
  config_.jitter = jitter;
  Hash(static_cast<uint64_t>(jitter.kind));
  Hash(std::bit_cast<uint64_t>(jitter.a));
  Hash(std::bit_cast<uint64_t>(jitter.b));
  TraceSetting(kJitterCode, "jitter",
               absl::StrCat(",\"jitter\":", Quoted(jitter.ToString())));
}

void World::SetSlowdown(NodeId a, NodeId b, double factor) {
  CheckNode(a, "SetSlowdown");
  CheckNode(b, "SetSlowdown");
  EPSIM_CHECK(factor > 0 && std::isfinite(factor))
      << "SetSlowdown: factor " << factor;
  slowdown_[LinkIndex(a, b)] = factor;
  slowdown_[LinkIndex(b, a)] = factor;
  Hash(std::bit_cast<uint64_t>(factor));
  TraceLink(kSlowdownCode, "slowdown", a, b,
            absl::StrCat(",\"factor\":", factor));
}

void World::SetLinkKind(LinkKind kind) {
  config_.link_kind = kind;
  Hash(static_cast<uint64_t>(kind));
  TraceSetting(kLinkKindCode, "link_kind",
               absl::StrCat(",\"kind\":\"", Av(LinkKindName(kind)), "\""));
}

void World::SetLinkKind(NodeId from, NodeId to, LinkKind kind) {
  CheckNode(from, "SetLinkKind");
  CheckNode(to, "SetLinkKind");
  link_kind_[LinkIndex(from, to)] = static_cast<int8_t>(kind);
  Hash(static_cast<uint64_t>(kind));
  TraceLink(kLinkKindCode, "link_kind", from, to,
            absl::StrCat(",\"kind\":\"", Av(LinkKindName(kind)), "\""));
}

// --- Queries
// -------------------------------------------------------------------

bool World::IsCrashed(NodeId node) const {
  CheckNode(node, "IsCrashed");
  return nodes_[node].crashed;
}

bool World::IsPaused(NodeId node) const {
  CheckNode(node, "IsPaused");
  return nodes_[node].paused;
}

int World::SiteOf(NodeId node) const {
  CheckNode(node, "SiteOf");
  return nodes_[node].site;
}

const std::string& World::NameOf(NodeId node) const {
  CheckNode(node, "NameOf");
  return nodes_[node].name;
}

bool World::CanReach(NodeId from, NodeId to) const {
  if (cut_[LinkIndex(from, to)]) return false;
  return !partitioned_ || group_[from] == group_[to];
}

LinkKind World::LinkKindOf(NodeId from, NodeId to) const {
  const int8_t kind = link_kind_[LinkIndex(from, to)];
  return kind < 0 ? config_.link_kind : static_cast<LinkKind>(kind);
}

// --- Running
// -------------------------------------------------------------------

void World::PruneStale() {
  while (!queue_.empty() && queue_.front().kind == EventKind::kTimer &&
         TimerStale(timers_[queue_.front().slot])) {
    const Event event = PopNext();
    KillTimer(TakeTimer(event.slot).id);
  }
}

void World::CompactQueue() {
  cancelled_since_compaction_ = 0;
  size_t kept = 0;
  for (const Event& event : queue_) {
    if (event.kind == EventKind::kTimer && TimerStale(timers_[event.slot])) {
      KillTimer(TakeTimer(event.slot).id);
      continue;
    }
    queue_[kept++] = event;
  }
  queue_.resize(kept);
  // (time, sequence) is a total order: the heap's layout never shows.
  for (size_t i = queue_.size() / kHeapArity + 1; i-- > 0;) {
    if (i < queue_.size()) SiftDown(i);
  }
}

bool World::KillTimer(TimerId id) {
  if (!TimerLive(id)) return false;
  timer_live_[id - timer_base_] = 0;
  return true;
}

bool World::Step() {
  PruneStale();
  if (queue_.empty()) return false;
  const Event event = PopNext();
  now_ = event.time;
  ++stats_.events;
  switch (event.kind) {
    case EventKind::kArrival:
      OnArrival(TakeMessage(event.slot), event.sequence);
      break;
    case EventKind::kDelivery:
      ArriveNow(TakeMessage(event.slot), event.sequence);
      break;
    case EventKind::kRetransmit: {
      Envelope envelope = TakeMessage(event.slot);
      if (ReceiverGone(envelope)) {
        DropMessage(envelope, "receiver crashed");
      } else {
        ++stats_.retransmitted;
        TraceMessage(kRetransmitCode, "retransmit", envelope);
        Transmit(std::move(envelope));
      }
      break;
    }
    case EventKind::kTimer:
      FireTimer(TakeTimer(event.slot));
      break;
    case EventKind::kAction: {
      Action action = std::move(actions_[event.slot]);
      actions_[event.slot] = Action{};
      free_actions_.push_back(event.slot);
      HashEvent(kActionCode, static_cast<uint64_t>(now_),
                HashBytes(action.label), 0, 0);
      if (trace_ != nullptr) {
        TraceLine(absl::StrCat("{\"t\":", now_, ",\"ev\":\"action\",",
                               "\"label\":", Quoted(action.label), "}"));
      }
      action.run();
      break;
    }
  }
  return true;
}

void World::RunUntil(Time end) {
  while (!queue_.empty()) {
    PruneStale();
    if (queue_.empty() || queue_.front().time > end) break;
    Step();
  }
  if (end > now_) now_ = end;
}

bool World::Idle() {
  PruneStale();
  return queue_.empty();
}

Time World::NextEventTime() {
  PruneStale();
  return queue_.empty() ? -1 : queue_.front().time;
}

// --- Trace
// ---------------------------------------------------------------------

void World::Hash(uint64_t value) {
  trace_hash_ = Mix64(trace_hash_ ^ value) + kGolden;
}

void World::HashEvent(uint64_t code, uint64_t a, uint64_t b, uint64_t c,
                      uint64_t d) {
  // The products do not depend on the running hash, so only one mixing step
  // sits on its dependency chain.
  Hash(code + Mix64(a) * 0xd6e8feb86659fd93ULL +
       Mix64(b) * 0xa0761d6478bd642fULL + Mix64(c) * 0xe7037ed1a0b428dbULL +
       Mix64(d) * 0x8ebc6af09c88c6e3ULL);
}

void World::TraceMessage(uint64_t code, std::string_view event,
                         const Envelope& envelope, std::string_view extra_key,
                         std::string_view extra_value) {
  HashEvent(
      code, static_cast<uint64_t>(now_), envelope.id,
      (static_cast<uint64_t>(static_cast<uint32_t>(envelope.from)) << 32) |
          static_cast<uint32_t>(envelope.to),
      envelope.payload->Fingerprint());
  if (trace_ == nullptr) return;
  std::string line = absl::StrCat(
      "{\"t\":", now_, ",\"ev\":\"", Av(event), "\",\"msg\":", envelope.id,
      ",\"from\":", envelope.from, ",\"to\":", envelope.to,
      ",\"type\":", Quoted(envelope.payload->Type()));
  if (!extra_key.empty()) {
    absl::StrAppend(&line, ",\"", Av(extra_key), "\":", Quoted(extra_value));
  }
  if (code == kSendCode || code == kDeliverCode) {
    absl::StrAppend(&line, ",\"desc\":", Quoted(envelope.payload->Describe()));
  }
  absl::StrAppend(&line, "}");
  TraceLine(line);
}

void World::TraceTimer(uint64_t code, std::string_view event,
                       const TimerRecord& timer) {
  HashEvent(code, static_cast<uint64_t>(now_), timer.id,
            (static_cast<uint64_t>(timer.due) << 20) ^
                static_cast<uint64_t>(timer.node),
            timer.tag);
  if (trace_ == nullptr) return;
  TraceLine(absl::StrCat("{\"t\":", now_, ",\"ev\":\"", Av(event),
                         "\",\"node\":", timer.node, ",\"timer\":", timer.id,
                         ",\"tag\":", timer.tag, ",\"due\":", timer.due, "}"));
}

void World::TraceNode(uint64_t code, std::string_view event, NodeId node) {
  Hash(code);
  Hash(static_cast<uint64_t>(now_));
  Hash(static_cast<uint64_t>(node));
  if (trace_ == nullptr) return;
  TraceLine(absl::StrCat("{\"t\":", now_, ",\"ev\":\"", Av(event),
                         "\",\"node\":", node,
                         ",\"name\":", Quoted(nodes_[node].name), "}"));
}

void World::TraceLink(uint64_t code, std::string_view event, NodeId from,
                      NodeId to, std::string_view extra_fields) {
  Hash(code);
  Hash(static_cast<uint64_t>(now_));
  Hash((static_cast<uint64_t>(static_cast<uint32_t>(from)) << 32) |
       static_cast<uint32_t>(to));
  if (trace_ == nullptr) return;
  TraceLine(absl::StrCat("{\"t\":", now_, ",\"ev\":\"", Av(event),
                         "\",\"from\":", from, ",\"to\":", to, Av(extra_fields),
                         "}"));
}

void World::TraceSetting(uint64_t code, std::string_view event,
                         std::string_view extra_fields) {
  Hash(code);
  Hash(static_cast<uint64_t>(now_));
  if (trace_ == nullptr) return;
  TraceLine(absl::StrCat("{\"t\":", now_, ",\"ev\":\"", Av(event), "\"",
                         Av(extra_fields), "}"));
}

void World::TraceLine(const std::string& json_object) {
  *trace_ << json_object << '\n';
}

}  // namespace epsim::sim
