DROP FUNCTION diff(regclass, text), reg(text, text), leftovers();
DROP TABLE views;
