// The table mapping a param's kind to the control that edits it.
import type { Component } from 'vue';
import type { ParamSpec } from '../../nodes/define';
import BoolControl from './controls/BoolControl.vue';
import FloatControl from './controls/FloatControl.vue';
import IntControl from './controls/IntControl.vue';
import SelectControl from './controls/SelectControl.vue';
import ShapeControl from './controls/ShapeControl.vue';

export const paramControls: Record<ParamSpec['kind'], Component> = {
  int: IntControl,
  float: FloatControl,
  select: SelectControl,
  bool: BoolControl,
  shape: ShapeControl,
};
