#include "sim/scheduler.h"

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "sim/world.h"

namespace epsim::sim {

// --- TimedScheduler
// ------------------------------------------------------------

void TimedScheduler::OnSend(Envelope envelope, uint64_t /*sequence*/) {
  Transmit(std::move(envelope));
}

void TimedScheduler::OnTimerSet(const TimerRecord& timer) {
  QueueTimer(timer, timer.due);
}

void TimedScheduler::OnReleaseMessage(Envelope envelope,
                                      uint64_t /*sequence*/) {
  QueueArrival(std::move(envelope), world().Now());
}

void TimedScheduler::OnReleaseTimer(const TimerRecord& timer) {
  QueueTimer(timer, world().Now());
}

// --- ChoiceScheduler
// -----------------------------------------------------------

void ChoiceScheduler::Insert(Item item) {
  auto at = std::lower_bound(
      items_.begin(), items_.end(), item.sequence,
      [](const Item& a, uint64_t sequence) { return a.sequence < sequence; });
  items_.insert(at, std::move(item));
}

ChoiceScheduler::Item ChoiceScheduler::Take(int i) {
  EPSIM_CHECK(i >= 0 && i < PendingCount())
      << "no pending choice " << i << " (there are " << PendingCount() << ")";
  Item item = std::move(items_[i]);
  items_.erase(items_.begin() + i);
  return item;
}

std::vector<PendingChoice> ChoiceScheduler::Pending() const {
  std::vector<PendingChoice> out;
  out.reserve(items_.size());
  for (size_t i = 0; i < items_.size(); ++i) {
    const Item& item = items_[i];
    PendingChoice c;
    c.index = static_cast<int>(i);
    if (item.is_timer) {
      c.kind = PendingChoice::Kind::kTimer;
      c.from = c.to = item.timer.node;
      c.type = "timer";
      c.timer = item.timer.id;
      c.tag = item.timer.tag;
      c.since = item.timer.due;
    } else {
      c.kind = PendingChoice::Kind::kMessage;
      c.from = item.envelope.from;
      c.to = item.envelope.to;
      c.type = item.envelope.payload->Type();
      c.payload = item.envelope.payload;
      c.message_id = item.envelope.id;
      c.since = item.envelope.sent;
    }
    out.push_back(std::move(c));
  }
  return out;
}

void ChoiceScheduler::Deliver(int i) {
  EPSIM_CHECK(i >= 0 && i < PendingCount() && !items_[i].is_timer)
      << "Deliver(" << i << "): not a pending message";
  Item item = Take(i);
  ArriveNow(std::move(item.envelope), item.sequence);
}

void ChoiceScheduler::Drop(int i) {
  Item item = Take(i);
  if (item.is_timer) {
    world().CancelTimer(item.timer.node, item.timer.id);
  } else {
    DropMessage(item.envelope, "dropped by the driver");
  }
}

void ChoiceScheduler::Fire(int i) {
  EPSIM_CHECK(i >= 0 && i < PendingCount() && items_[i].is_timer)
      << "Fire(" << i << "): not a pending timer";
  Item item = Take(i);
  FireNow(item.timer);
}

void ChoiceScheduler::Execute(int i) {
  EPSIM_CHECK(i >= 0 && i < PendingCount())
      << "no pending choice " << i << " (there are " << PendingCount() << ")";
  if (items_[i].is_timer) {
    Fire(i);
  } else {
    Deliver(i);
  }
}

void ChoiceScheduler::OnSend(Envelope envelope, uint64_t sequence) {
  Insert(Item{sequence, false, std::move(envelope), {}});
}

void ChoiceScheduler::OnTimerSet(const TimerRecord& timer) {
  Insert(Item{timer.sequence, true, {}, timer});
}

void ChoiceScheduler::OnTimerCancelled(TimerId id) {
  std::erase_if(items_, [id](const Item& item) {
    return item.is_timer && item.timer.id == id;
  });
}

void ChoiceScheduler::OnReleaseMessage(Envelope envelope, uint64_t sequence) {
  Insert(Item{sequence, false, std::move(envelope), {}});
}

void ChoiceScheduler::OnReleaseTimer(const TimerRecord& timer) {
  Insert(Item{timer.sequence, true, {}, timer});
}

void ChoiceScheduler::OnCrash(NodeId node) {
  std::vector<Item> kept;
  kept.reserve(items_.size());
  for (Item& item : items_) {
    if (item.is_timer) {
      if (item.timer.node != node) kept.push_back(std::move(item));
    } else if (item.envelope.to == node) {
      DropMessage(item.envelope, "receiver crashed");
    } else {
      kept.push_back(std::move(item));
    }
  }
  items_ = std::move(kept);
}

}  // namespace epsim::sim
