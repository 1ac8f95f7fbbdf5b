//! Pagination: a page is asked for by number (`page`) or by a keyset cursor carried in
//! `links.next.href`. Following cursors costs the same on page 10,000 as on page 1.

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Page `n` from 1, by offset.
    Number(u64),
    /// The page after the row with id `after_id`, numbered `page`, with `total` carried over
    /// from the first page so that following the cursor never counts again.
    After {
        after_id: i64,
        page: u64,
        total: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub size: u64,
    pub position: Position,
}

impl PageRequest {
    pub const DEFAULT_SIZE: u64 = 50;
    pub const MAX_SIZE: u64 = 500;

    pub fn first(size: u64) -> Self {
        Self {
            size,
            position: Position::Number(1),
        }
    }

    pub fn number(&self) -> u64 {
        match self.position {
            Position::Number(n) => n,
            Position::After { page, .. } => page,
        }
    }

    pub fn offset(&self) -> u64 {
        match self.position {
            Position::Number(n) => (n - 1).saturating_mul(self.size),
            Position::After { .. } => 0,
        }
    }

    pub fn after_id(&self) -> Option<i64> {
        match self.position {
            Position::After { after_id, .. } => Some(after_id),
            Position::Number(_) => None,
        }
    }

    pub fn known_total(&self) -> Option<u64> {
        match self.position {
            Position::After { total, .. } => Some(total),
            Position::Number(_) => None,
        }
    }
}

/// One page of results, newest first. `next_after` is the id to continue after, when more remain.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub size: u64,
    pub next_after: Option<i64>,
}

impl<T> Page<T> {
    /// Builds a page from up to `size + 1` rows fetched newest first; the extra row only tells
    /// that another page exists.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        total: u64,
        id_of: impl Fn(&T) -> i64,
    ) -> Self {
        let more = rows.len() as u64 > request.size;
        rows.truncate(request.size as usize);
        let next_after = if more { rows.last().map(&id_of) } else { None };
        Self {
            items: rows,
            total,
            page: request.number(),
            size: request.size,
            next_after,
        }
    }

    /// A page whose items were fetched apart from the ids that delimit it (a list of aggregates
    /// read in two steps): `next_after` is the id to continue after, when more remain.
    pub fn of(items: Vec<T>, request: &PageRequest, total: u64, next_after: Option<i64>) -> Self {
        Self {
            items,
            total,
            page: request.number(),
            size: request.size,
            next_after,
        }
    }

    /// At least one page, even when there is nothing to list.
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.size).max(1)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            size: self.size,
            next_after: self.next_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extra_row_means_a_next_page_after_the_last_kept_id() {
        let request = PageRequest::first(2);
        let page = Page::from_rows(vec![9, 8, 7], &request, 3, |id| *id);
        assert_eq!(page.items, vec![9, 8]);
        assert_eq!(page.next_after, Some(8));
        assert_eq!(page.pages(), 2);
    }

    #[test]
    fn the_last_page_has_no_next() {
        let request = PageRequest {
            size: 2,
            position: Position::After {
                after_id: 8,
                page: 2,
                total: 3,
            },
        };
        let page = Page::from_rows(vec![7], &request, 3, |id| *id);
        assert_eq!(page.next_after, None);
        assert_eq!(page.page, 2);
    }

    #[test]
    fn an_empty_list_is_one_empty_page() {
        let page = Page::<i64>::from_rows(vec![], &PageRequest::first(50), 0, |id| *id);
        assert_eq!(page.pages(), 1);
    }
}
