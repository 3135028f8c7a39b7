//! [`Matrix`]: a layer's weights or delays, rows of equal length in one
//! buffer.
//!
//! A model file writes a matrix as an array of rows (`[[1, 2], [3, 4]]`).
//! Holding each row as a list of its own costs a list header and a heap
//! block per row whatever the row holds: a layer of many one-value rows
//! (`[[0], [0], ...]`, four bytes of file a row) then took about 14 times
//! its file size. One flat buffer costs what the values cost, so reading a
//! model stays within the bound of `docs/model-format.md` section 4
//! ("Reading rules").

use std::fmt;
use std::ops::{Index, IndexMut};

use serde::{Serialize, Serializer};

/// A matrix of rows that all have the same length, stored row after row in
/// one buffer. `m[j]` is row `j` as a slice, so `m[j][i]` reads as it would
/// on a list of lists.
///
/// In a layer, row `j` belongs to presynaptic neuron `j` and holds one value
/// per neuron of the layer (`docs/model-format.md`). The reader refuses a
/// row whose length differs from row 0's, naming the row; that the common
/// length is the layer's size is checked by validation.
///
/// It is written to a file as an array of arrays, as the format has it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Matrix<T> {
    /// The values, row 0 first; `rows * row_len` of them.
    values: Vec<T>,
    /// The number of rows, kept apart from `values` since rows of no
    /// values (`[[], []]`) still count.
    rows: usize,
    /// The length of every row.
    row_len: usize,
}

impl<T> Matrix<T> {
    /// A matrix of no rows.
    pub const fn new() -> Self {
        Matrix {
            values: Vec::new(),
            rows: 0,
            row_len: 0,
        }
    }

    /// A matrix of `rows` rows of `row_len` values each, `f(j, i)` at row
    /// `j` and position `i`, called row by row in order (so a random
    /// generator passed in draws the values in reading order).
    pub fn from_fn(rows: usize, row_len: usize, mut f: impl FnMut(usize, usize) -> T) -> Self {
        let mut values = Vec::with_capacity(rows * row_len);
        for j in 0..rows {
            for i in 0..row_len {
                values.push(f(j, i));
            }
        }
        Matrix {
            values,
            rows,
            row_len,
        }
    }

    /// A matrix of `rows` rows of `row_len` values from one buffer holding
    /// them row after row.
    ///
    /// # Panics
    /// If `values` does not hold exactly `rows * row_len` values.
    pub fn from_flat(rows: usize, row_len: usize, values: Vec<T>) -> Self {
        assert_eq!(
            Some(values.len()),
            rows.checked_mul(row_len),
            "a {rows} x {row_len} matrix from {} values",
            values.len()
        );
        Matrix {
            values,
            rows,
            row_len,
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the matrix has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The length of every row (0 in a matrix of no rows).
    pub fn row_len(&self) -> usize {
        self.row_len
    }

    /// Row `j`, or `None` if there is no such row.
    pub fn get(&self, j: usize) -> Option<&[T]> {
        (j < self.rows).then(|| &self.values[j * self.row_len..(j + 1) * self.row_len])
    }

    /// Every value, row 0 first.
    pub fn as_flat(&self) -> &[T] {
        &self.values
    }

    /// Every value, row 0 first, to change in place.
    pub fn as_flat_mut(&mut self) -> &mut [T] {
        &mut self.values
    }

    /// The rows in order.
    pub fn iter(&self) -> Rows<'_, T> {
        Rows {
            rest: &self.values,
            rows: self.rows,
            row_len: self.row_len,
        }
    }

    /// The rows in order, to change in place.
    pub fn iter_mut(&mut self) -> RowsMut<'_, T> {
        RowsMut {
            rest: &mut self.values,
            rows: self.rows,
            row_len: self.row_len,
        }
    }

    /// Appends a row.
    ///
    /// # Panics
    /// If the matrix has rows and `row` differs from them in length.
    pub fn push_row(&mut self, row: &[T])
    where
        T: Clone,
    {
        if self.rows == 0 {
            self.row_len = row.len();
        }
        assert_eq!(
            row.len(),
            self.row_len,
            "row {} of a matrix of rows of {} values",
            self.rows,
            self.row_len
        );
        self.values.extend_from_slice(row);
        self.rows += 1;
    }

    /// Builds a matrix from the parts the reader collected (`crate::de`),
    /// which keeps them consistent.
    pub(crate) fn from_parts(values: Vec<T>, rows: usize, row_len: usize) -> Self {
        debug_assert_eq!(values.len(), rows * row_len);
        Matrix {
            values,
            rows,
            row_len,
        }
    }
}

impl<T> Default for Matrix<T> {
    fn default() -> Self {
        Matrix::new()
    }
}

/// Row `j` as a slice.
///
/// # Panics
/// If there is no row `j`.
impl<T> Index<usize> for Matrix<T> {
    type Output = [T];

    fn index(&self, j: usize) -> &[T] {
        assert!(j < self.rows, "row {j} of a matrix of {} rows", self.rows);
        &self.values[j * self.row_len..(j + 1) * self.row_len]
    }
}

/// Row `j` as a slice to change in place (its length is fixed).
///
/// # Panics
/// If there is no row `j`.
impl<T> IndexMut<usize> for Matrix<T> {
    fn index_mut(&mut self, j: usize) -> &mut [T] {
        assert!(j < self.rows, "row {j} of a matrix of {} rows", self.rows);
        &mut self.values[j * self.row_len..(j + 1) * self.row_len]
    }
}

/// From a list of rows, as a test or a builder writes them.
///
/// # Panics
/// If the rows differ in length: a matrix has one row length, and a list
/// built in code with ragged rows is a bug in that code. Rows read from a
/// file are checked by the reader instead, which names the row.
impl<T> From<Vec<Vec<T>>> for Matrix<T> {
    fn from(rows: Vec<Vec<T>>) -> Self {
        let row_len = rows.first().map_or(0, Vec::len);
        let count = rows.len();
        let mut values = Vec::with_capacity(count * row_len);
        for (j, row) in rows.into_iter().enumerate() {
            assert_eq!(
                row.len(),
                row_len,
                "row {j} of a matrix has {} values, row 0 has {row_len}",
                row.len()
            );
            values.extend(row);
        }
        Matrix {
            values,
            rows: count,
            row_len,
        }
    }
}

/// Equal when the rows are: a matrix compares with the list of lists it
/// was built from.
impl<T: PartialEq> PartialEq<Vec<Vec<T>>> for Matrix<T> {
    fn eq(&self, other: &Vec<Vec<T>>) -> bool {
        self.rows == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_slice())
    }
}

/// Shown as its list of rows, as a list of lists is.
impl<T: fmt::Debug> fmt::Debug for Matrix<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T> IntoIterator for &'a Matrix<T> {
    type Item = &'a [T];
    type IntoIter = Rows<'a, T>;

    fn into_iter(self) -> Rows<'a, T> {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut Matrix<T> {
    type Item = &'a mut [T];
    type IntoIter = RowsMut<'a, T>;

    fn into_iter(self) -> RowsMut<'a, T> {
        self.iter_mut()
    }
}

/// The rows of a [`Matrix`], from [`Matrix::iter`].
///
/// Counts rows rather than splitting the buffer into chunks, since a
/// matrix may have rows of no values.
#[derive(Debug, Clone)]
pub struct Rows<'a, T> {
    rest: &'a [T],
    rows: usize,
    row_len: usize,
}

impl<'a, T> Iterator for Rows<'a, T> {
    type Item = &'a [T];

    fn next(&mut self) -> Option<&'a [T]> {
        if self.rows == 0 {
            return None;
        }
        self.rows -= 1;
        let (row, rest) = self.rest.split_at(self.row_len);
        self.rest = rest;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.rows, Some(self.rows))
    }
}

impl<T> DoubleEndedIterator for Rows<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.rows == 0 {
            return None;
        }
        self.rows -= 1;
        let (rest, row) = self.rest.split_at(self.rest.len() - self.row_len);
        self.rest = rest;
        Some(row)
    }
}

impl<T> ExactSizeIterator for Rows<'_, T> {}

/// The rows of a [`Matrix`] to change in place, from [`Matrix::iter_mut`].
#[derive(Debug)]
pub struct RowsMut<'a, T> {
    rest: &'a mut [T],
    rows: usize,
    row_len: usize,
}

impl<'a, T> Iterator for RowsMut<'a, T> {
    type Item = &'a mut [T];

    fn next(&mut self) -> Option<&'a mut [T]> {
        if self.rows == 0 {
            return None;
        }
        self.rows -= 1;
        let (row, rest) = std::mem::take(&mut self.rest).split_at_mut(self.row_len);
        self.rest = rest;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.rows, Some(self.rows))
    }
}

impl<T> DoubleEndedIterator for RowsMut<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.rows == 0 {
            return None;
        }
        self.rows -= 1;
        let rest = std::mem::take(&mut self.rest);
        let at = rest.len() - self.row_len;
        let (rest, row) = rest.split_at_mut(at);
        self.rest = rest;
        Some(row)
    }
}

impl<T> ExactSizeIterator for RowsMut<'_, T> {}

/// Written as an array of rows, each an array of values: the file format's
/// shape.
impl<T: Serialize> Serialize for Matrix<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_index_and_iterate() {
        let mut m = Matrix::from(vec![vec![1, 2, 3], vec![4, 5, 6]]);
        assert_eq!((m.len(), m.row_len(), m.is_empty()), (2, 3, false));
        assert_eq!(m[1][2], 6);
        assert_eq!(m.get(2), None);
        assert_eq!(m.iter().next_back(), Some(&[4, 5, 6][..]));
        assert_eq!(m.iter().len(), 2);
        m[0][1] = 20;
        for row in &mut m {
            row[0] += 100;
        }
        for (k, row) in m.iter_mut().rev().enumerate() {
            row[2] += 1000 * k as i32;
        }
        assert_eq!(m, vec![vec![101, 20, 1003], vec![104, 5, 6]]);
        assert_eq!(m.as_flat(), &[101, 20, 1003, 104, 5, 6]);
        assert_eq!(format!("{m:?}"), "[[101, 20, 1003], [104, 5, 6]]");
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            "[[101,20,1003],[104,5,6]]"
        );
    }

    #[test]
    fn rows_of_no_values_still_count() {
        let m: Matrix<i64> = Matrix::from(vec![vec![], vec![]]);
        assert_eq!((m.len(), m.row_len()), (2, 0));
        assert_eq!(m.iter().count(), 2);
        assert_eq!(serde_json::to_string(&m).unwrap(), "[[],[]]");
        let read: Matrix<i64> = serde_json::from_str("[[],[]]").unwrap();
        assert_eq!(read, m);
        let none: Matrix<i64> = serde_json::from_str("[]").unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn builders_agree() {
        let by_fn = Matrix::from_fn(2, 2, |j, i| 10 * j + i);
        let mut pushed = Matrix::new();
        pushed.push_row(&[0, 1]);
        pushed.push_row(&[10, 11]);
        assert_eq!(by_fn, pushed);
        assert_eq!(by_fn, Matrix::from_flat(2, 2, vec![0, 1, 10, 11]));
    }

    #[test]
    #[should_panic(expected = "row 1 of a matrix has 3 values, row 0 has 2")]
    fn ragged_rows_built_in_code_panic() {
        let _ = Matrix::from(vec![vec![1, 2], vec![3, 4, 5]]);
    }
}
