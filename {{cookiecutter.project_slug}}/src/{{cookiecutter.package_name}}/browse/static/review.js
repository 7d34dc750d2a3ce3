// The review page: click a turn to play from there; the turn playing is highlighted.
// Turn positions come from each turn's data-start (seconds into the recording).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var player = document.getElementById("player");
  var list = document.getElementById("turns");
  if (!player || !list) {
    return;
  }
  var turns = Array.prototype.slice.call(list.querySelectorAll(".turn[data-start]"));
  var starts = turns.map(function (turn) {
    return Number(turn.getAttribute("data-start"));
  });
  var current = -1;

  function playing(time) {
    // the last turn starting at or before ``time`` (turns are in start order)
    var low = 0;
    var high = starts.length - 1;
    var found = -1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (starts[middle] <= time + 0.05) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  function highlight() {
    var index = playing(player.currentTime);
    if (index === current) {
      return;
    }
    if (current >= 0) {
      turns[current].classList.remove("current");
      turns[current].removeAttribute("aria-current");
    }
    current = index;
    if (index >= 0) {
      turns[index].classList.add("current");
      turns[index].setAttribute("aria-current", "true");
      if (!player.paused) {
        turns[index].scrollIntoView({ block: "nearest" });
      }
    }
  }

  function seek(turn) {
    player.currentTime = Number(turn.getAttribute("data-start"));
    highlight();
  }

  list.addEventListener("click", function (event) {
    var turn = event.target.closest(".turn[data-start]");
    if (turn) {
      seek(turn);
    }
  });
  list.addEventListener("keydown", function (event) {
    var turn = event.target.closest(".turn[data-start]");
    if (turn && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      seek(turn);
      player.play();
    }
  });
  ["timeupdate", "seeked", "play"].forEach(function (name) {
    player.addEventListener(name, highlight);
  });
  highlight();
});
